package io.busbar.gateway;

import io.busbar.ApiError;
import io.busbar.gateway.security.Action;
import io.busbar.gateway.security.GatewaySecurity;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API's busiest routes, {@code POST /api/publish/{address}} and {@code POST /api/send/{address}},
 * served straight from the HTTP server instead of through the Router. The steps and their order are the
 * Router's for {@code /api/*}: request id and outcome, drain guard, origin, bounded body, token and rate
 * limits, then {@link HttpApi#put}; every answer, error codes included, is the same. What is saved is the
 * Router's share of each request (matching every route on the way, a routing context with its maps, the
 * body handler, the pause and resume that queue pipelined requests): about a quarter of the CPU of a
 * publish (bench B1).
 * <p>
 * Only the plain shape is taken here: an HTTP/1.x POST with a {@code content-length} within
 * {@code gateway.bodyLimit}, no {@code transfer-encoding} or {@code expect}, and an address segment the
 * Router would pass on unchanged (no {@code %}, no {@code /}, not a dot segment). Everything else goes to
 * the Router, which answers it as before (a too-large body with 413, say). Publishes and sends on the
 * event bus; a failure of its own is answered {@code 500 internal}.
 */
final class DirectApiEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(DirectApiEndpoint.class);
  private static final String PUBLISH = "/api/publish/";
  private static final String SEND = "/api/send/";

  private final HttpApi api;
  private final DeliverApi deliver;
  private final GatewaySecurity security;
  private final ObservedRoutes.ApiOutcomes outcomes;
  private final long bodyLimit;

  DirectApiEndpoint(HttpApi api, DeliverApi deliver, GatewaySecurity security, ObservedRoutes.ApiOutcomes outcomes, long bodyLimit) {
    this.api = api;
    this.deliver = deliver;
    this.security = security;
    this.outcomes = outcomes;
    this.bodyLimit = bodyLimit;
  }

  /** Takes the request if it is a plain publish or send, and says whether it did. */
  boolean handle(HttpServerRequest request) {
    if (request.method() != HttpMethod.POST) {
      return false;
    }
    String path = request.path();
    Action action;
    String address;
    if (path.startsWith(PUBLISH)) {
      action = Action.PUBLISH;
      address = path.substring(PUBLISH.length());
    } else if (path.startsWith(SEND)) {
      action = Action.SEND;
      address = path.substring(SEND.length());
    } else {
      return false;
    }
    if (!passedUnchanged(address) || !plainBody(request)) {
      return false;
    }
    // The route label of the HTTP server's meters, as the Router would have given it.
    request.routed(action == Action.PUBLISH ? "/api/publish/:address" : "/api/send/:address");
    outcomes.begin(request);
    if (!deliver.admitsWork(request) || !security.admitsOrigin(request)) {
      return true;
    }
    request.body().onSuccess(body -> security.authenticate(request, identity -> {
      try {
        api.put(request, identity, action, address, body);
      } catch (RuntimeException e) {
        LOG.error("{} {} failed", request.method(), HttpApi.abbreviate(path), e);
        HttpApi.fail(request, ApiError.internal());
      }
    }));
    // A body that never completes is a connection gone: there is no one to answer.
    return true;
  }

  /** An address the Router would match as {@code :address} and decode to itself. */
  static boolean passedUnchanged(String address) {
    return !address.isEmpty() && address.indexOf('/') < 0 && address.indexOf('%') < 0
      && !address.equals(".") && !address.equals("..");
  }

  private boolean plainBody(HttpServerRequest request) {
    if (request.version() == HttpVersion.HTTP_2 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING)
      || request.headers().contains(HttpHeaders.EXPECT)) {
      return false;
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length == null || length.isEmpty() || length.length() > 10) {
      return false;
    }
    for (int i = 0; i < length.length(); i++) {
      if (length.charAt(i) < '0' || length.charAt(i) > '9') {
        return false;
      }
    }
    return Long.parseLong(length) <= bodyLimit;
  }
}
