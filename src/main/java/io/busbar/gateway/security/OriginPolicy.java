package io.busbar.gateway.security;

import io.busbar.ApiError;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser origins may use the gateway ({@code gateway.cors.allowedOrigins}), for the HTTP API
 * (CORS) and for every SockJS transport alike. A request without an {@code Origin} header (curl, a
 * server, the Node.js client) passes unless the browser marks it cross-site
 * ({@code Sec-Fetch-Site: cross-site}, as a {@code <script>} include of a JSONP transport would be).
 * An origin equal to the request's own {@code Host} passes (Vert.x and other clients send that; Busbar
 * serves no pages, and tokens are never cookies, so a DNS-rebinding page gains nothing an anonymous
 * client lacks). Any other origin must be listed. {@code "*"} allows every origin, but then
 * credentials are never allowed.
 */
public final class OriginPolicy {
  /** The answer to a request whose origin {@link #permits} refuses, on every route and transport. */
  public static final ApiError REFUSED = new ApiError(403, "origin_not_allowed", "this origin is not in gateway.cors.allowedOrigins");

  private final Set<String> allowed = new HashSet<>();
  private final boolean any;
  private final boolean credentials;

  public OriginPolicy(JsonObject cors) {
    for (Object o : cors.getJsonArray("allowedOrigins")) {
      allowed.add(((String) o).toLowerCase(Locale.ROOT));
    }
    this.any = allowed.contains("*");
    this.credentials = cors.getBoolean("allowCredentials") && !any;
  }

  /** May this request proceed as far as its origin is concerned? */
  public boolean permits(HttpServerRequest request) {
    String origin = request.getHeader("origin");
    if (origin == null) {
      return !"cross-site".equalsIgnoreCase(request.getHeader("sec-fetch-site"));
    }
    return listed(origin) || sameOrigin(origin, request.getHeader("host"));
  }

  private static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    String o = origin.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    return o.equals("http://" + h) || o.equals("https://" + h);
  }

  public boolean listed(String origin) {
    return any || allowed.contains(origin.toLowerCase(Locale.ROOT));
  }

  public boolean credentials() {
    return credentials;
  }
}
