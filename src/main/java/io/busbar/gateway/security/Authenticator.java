package io.busbar.gateway.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies JWTs with vertx-auth-jwt against the keys of {@code gateway.auth}: HS256 secrets, RS256 /
 * ES256 (and the other RS/PS/ES) public keys in PEM, and a JWKS file. Issuer and audience are checked
 * when configured, expiry and not-before always, with {@code clockSkewSeconds} of leeway; a token
 * without {@code exp} is refused, so that every identity runs out. The algorithm is taken from the
 * configured keys only: a token cannot pick {@code none} or an HMAC "secret" made of a public key.
 */
public final class Authenticator {
  private final JWTAuth jwt;
  private final String rolesClaim;
  private final int skewSeconds;

  /** Reads key files, blocking: call at start-up from a worker or before serving. */
  public Authenticator(Vertx vertx, JsonObject auth) {
    JWTAuthOptions options = new JWTAuthOptions();
    for (Object secret : auth.getJsonArray("hs256Secrets")) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer((String) secret));
    }
    for (Object k : auth.getJsonArray("publicKeys")) {
      JsonObject key = (JsonObject) k;
      String pem = key.getString("pem", "");
      if (pem.isEmpty()) {
        pem = vertx.fileSystem().readFileBlocking(key.getString("pemFile")).toString();
      }
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(key.getString("algorithm")).setBuffer(pem));
    }
    String jwksFile = auth.getString("jwksFile");
    if (!jwksFile.isEmpty()) {
      JsonArray keys = new JsonObject(vertx.fileSystem().readFileBlocking(jwksFile)).getJsonArray("keys", new JsonArray());
      keys.forEach(k -> options.addJwk((JsonObject) k));
    }
    this.skewSeconds = auth.getInteger("clockSkewSeconds");
    JWTOptions jwtOptions = new JWTOptions().setLeeway(skewSeconds);
    if (!auth.getString("issuer").isEmpty()) {
      jwtOptions.setIssuer(auth.getString("issuer"));
    }
    // An empty audience list would make vertx-auth-jwt refuse every token: only set it when given.
    List<String> audience = auth.getJsonArray("audience").stream().map(String.class::cast).toList();
    if (!audience.isEmpty()) {
      jwtOptions.setAudience(audience);
    }
    options.setJWTOptions(jwtOptions);
    this.jwt = JWTAuth.create(vertx, options);
    this.rolesClaim = auth.getString("rolesClaim");
  }

  /** The identity of a valid token; a failed future (with no detail meant for the caller) otherwise. */
  public Future<Identity> authenticate(String token) {
    if (token == null || token.isEmpty() || token.length() > 16_384) {
      return Future.failedFuture("no token");
    }
    Future<User> user;
    try {
      user = jwt.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      return Future.failedFuture("bad token");
    }
    return user.compose(u -> {
      JsonObject claims = u.attributes().getJsonObject("accessToken", new JsonObject());
      Object exp = claims.getValue("exp");
      Object sub = claims.getValue("sub");
      if (!(exp instanceof Number) || !(sub instanceof String s) || s.isEmpty()) {
        return Future.failedFuture("token without exp or sub");
      }
      return Future.succeededFuture(new Identity(s, roles(claims.getValue(rolesClaim)), claims.copy(),
        ((Number) exp).longValue() * 1000 + skewSeconds * 1000L));
    });
  }

  private static Set<String> roles(Object value) {
    Set<String> roles = new HashSet<>();
    if (value instanceof JsonArray list) {
      list.forEach(r -> {
        if (r instanceof String s) {
          roles.add(s);
        }
      });
    } else if (value instanceof String s) {
      for (String r : s.split("[ ,]+")) {
        if (!r.isEmpty()) {
          roles.add(r);
        }
      }
    }
    return Set.copyOf(roles);
  }
}
