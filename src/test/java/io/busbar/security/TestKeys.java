package io.busbar.security;

import java.security.KeyPair;
import java.security.KeyPairGenerator;

/** Extra keys generated at test time. */
final class TestKeys {
  static final KeyPair OTHER_RSA = rsa();

  private TestKeys() {
  }

  private static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
