package com.example.audit;

import io.busbar.Main;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code java -jar order-audit.jar [busbar flags]}: a Busbar node with none of Busbar's built-in roles
 * that deploys {@link OrderAuditVerticle}. Every Busbar flag, {@code BUSBAR_*} variable and
 * {@code --conf} file still applies (and wins over these defaults), so it joins a cluster like any node.
 */
public final class OrderAuditMain {
  private OrderAuditMain() {
  }

  public static void main(String[] args) {
    Main.launch(args, new JsonObject()
      .put("roles", new JsonArray())
      .put("deploy", new JsonArray().add(OrderAuditVerticle.class.getName())));
  }
}
