# Busbar node image.
#   docker build -t busbar .
#   docker run --rm -p 8080:8080 busbar                      one node, all roles
#   docker compose up --build                                three nodes, see docker-compose.yml
# Configure it with BUSBAR_* variables (or mount a file and set BUSBAR_CONF). To cluster across
# containers set BUSBAR_CLUSTER_HOST to a name or address other containers reach this one at, and
# BUSBAR_MEMBERS to the other nodes; the default cluster host is loopback, so a lone container never
# joins anything by accident.

# --- build: the same `mvn package` as on a developer machine ---
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml ./
COPY conf conf
COPY src src
# The Maven repository is a BuildKit cache, not a layer: a rebuild after a source change downloads nothing.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q package -DskipTests

# --- run: JRE only, unprivileged ---
FROM eclipse-temurin:17-jre
# A fixed non-root uid/gid; Busbar needs no privilege (its ports are above 1024).
RUN groupadd --gid 10001 busbar \
 && useradd --uid 10001 --gid busbar --home-dir /app --no-create-home --shell /usr/sbin/nologin busbar \
 && mkdir -p /app/data \
 && chown busbar:busbar /app/data
# The working directory holds the event log (consumer.eventLog.file defaults to data/events.ndjson);
# only data/ is writable by the node. Mount a volume there to keep it across containers.
WORKDIR /app
COPY --from=build /build/target/busbar.jar /app/busbar.jar
# A class-data-sharing archive of the classes a node loads to start (recorded by one start and clean stop,
# in /tmp so that nothing it writes lands in /app/data): the node is ready in about half the time. A JVM
# that cannot use the archive (other options, other JDK) ignores it and starts as before.
RUN cd /tmp && java -XX:MaxRAMPercentage=75 -Xlog:cds=off -XX:ArchiveClassesAtExit=/app/busbar.jsa -jar /app/busbar.jar \
      --exit-when-ready --http-port 0 --cluster-port 5701 --members 127.0.0.1:5701 --cluster-name cds-training \
 && rm -rf /tmp/data
USER busbar
# Busbar's HTTP default is loopback, which nothing outside the container can reach.
ENV BUSBAR_HTTP_HOST=0.0.0.0
# 8080: HTTP API and SockJS bridge (gateway role). 5701: Hazelcast cluster membership. The event-bus
# transport takes a random port (cluster.eventBusPort 0), which other containers on the network reach
# directly; publish neither cluster port to the host.
EXPOSE 8080 5701
# No HEALTHCHECK here: a node without the gateway role has no HTTP endpoint, so one check cannot fit
# every node. docker-compose.yml checks /ready on the gateway nodes.
# Exec form: java is PID 1 and receives SIGTERM itself, leaves the cluster and exits 0.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-Xlog:cds=off", "-XX:SharedArchiveFile=/app/busbar.jsa", "-jar", "/app/busbar.jar"]
