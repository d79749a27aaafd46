package io.busbar.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/**
 * Makes JWTs for tests by hand (not with the library under test), including broken ones: keys are
 * generated at test time, nothing private is committed.
 */
public final class Jwts {
  public static final String SECRET = "test-only-hs256-secret-0123456789abcdef";
  public static final String ISSUER = "https://issuer.test";
  public static final String AUDIENCE = "busbar-test";
  public static final KeyPair RSA = generate("RSA", null);
  public static final KeyPair EC = generate("EC", "secp256r1");

  private Jwts() {
  }

  private static KeyPair generate(String alg, String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
      if (curve != null) {
        g.initialize(new ECGenParameterSpec(curve));
      } else {
        g.initialize(2048);
      }
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
      + "\n-----END PUBLIC KEY-----\n";
  }

  /** Valid claims for {@code sub}: right issuer and audience, expiring in {@code ttlSeconds}. */
  public static JsonObject claims(String sub, int ttlSeconds, String... roles) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", sub).put("iss", ISSUER).put("aud", AUDIENCE).put("iat", now)
      .put("exp", now + ttlSeconds).put("roles", new JsonArray(java.util.List.of((Object[]) roles)));
  }

  public static String hs256(JsonObject claims) {
    return hmac("HS256", claims, SECRET.getBytes(StandardCharsets.UTF_8));
  }

  public static String hmac(String alg, JsonObject claims, byte[] key) {
    String input = b64(new JsonObject().put("alg", alg).put("typ", "JWT").encode()) + "." + b64(claims.encode());
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String rs256(JsonObject claims, PrivateKey key) {
    return signed("RS256", "SHA256withRSA", claims, key);
  }

  public static String es256(JsonObject claims, PrivateKey key) {
    // JWS wants the raw R||S form, which Java calls P1363.
    return signed("ES256", "SHA256withECDSAinP1363Format", claims, key);
  }

  private static String signed(String alg, String jca, JsonObject claims, PrivateKey key) {
    String input = b64(new JsonObject().put("alg", alg).put("typ", "JWT").encode()) + "." + b64(claims.encode());
    try {
      Signature s = Signature.getInstance(jca);
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsigned token: {@code alg: none} and an empty signature. */
  public static String none(JsonObject claims) {
    return b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode()) + "." + b64(claims.encode()) + ".";
  }

  public static String b64(String s) {
    return b64(s.getBytes(StandardCharsets.UTF_8));
  }

  public static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** A gateway {@code auth} section trusting {@link #SECRET}, {@link #RSA} and {@link #EC}. */
  public static JsonObject authConfig(JsonObject defaults) {
    return defaults.put("enabled", true)
      .put("hs256Secrets", new JsonArray().add(SECRET))
      .put("publicKeys", new JsonArray()
        .add(new JsonObject().put("algorithm", "RS256").put("pem", pem(RSA.getPublic())))
        .add(new JsonObject().put("algorithm", "ES256").put("pem", pem(EC.getPublic()))))
      .put("issuer", ISSUER).put("audience", new JsonArray().add(AUDIENCE)).put("clockSkewSeconds", 0);
  }
}
