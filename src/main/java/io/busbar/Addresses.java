package io.busbar;

/**
 * The event-bus addresses and message headers that Busbar itself uses. Addresses are dotted lowercase;
 * {@code busbar.*} and {@code svc.*} are server-side namespaces, {@code events.*} is where
 * applications publish and browsers subscribe.
 */
public final class Addresses {
  /** Published every second by each node's heartbeat: live stats of that node. */
  public static final String NODES = "busbar.nodes";
  /** Request-reply echo service: replies with the request body. */
  public static final String ECHO = "svc.echo";
  /** Where the demo producer publishes by default. */
  public static final String DEMO = "events.demo";

  /** CloudEvents attributes travel as message headers named as in the CloudEvents HTTP binding. */
  public static final String HEADER_ID = "ce-id";
  public static final String HEADER_SOURCE = "ce-source";
  public static final String HEADER_TYPE = "ce-type";
  public static final String HEADER_SPECVERSION = "ce-specversion";
  public static final String HEADER_TIME = "ce-time";
  public static final String HEADER_CONTENT_TYPE = "content-type";
  /** Set on replies of Busbar's own services: which node answered. */
  public static final String HEADER_NODE = "busbar-node";

  private Addresses() {
  }
}
