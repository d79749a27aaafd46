package io.busbar.bench;

import com.sun.tools.attach.VirtualMachine;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * A diagnostic command run in another JVM through the attach API, from this process. The {@code jcmd}
 * tool starts a JVM for every command: about 0.4-0.5 s on the bench host, three of them for every heap
 * reading (B6 reads the heap 18 times in a full run), where the command itself takes a few milliseconds.
 * Falls back to the tool when the attach API is not usable here (null).
 */
final class Jcmd {
  /** {@code HotSpotVirtualMachine.executeJCmd}, exported to this jar by its manifest; null if not. */
  private static final Method EXECUTE = executeMethod();

  private Jcmd() {
  }

  /** The command's output, or null if it could not be run in process (the caller then uses the tool). */
  static String run(long pid, String command) {
    if (EXECUTE == null) {
      return null;
    }
    VirtualMachine vm;
    try {
      vm = VirtualMachine.attach(String.valueOf(pid));
    } catch (Exception | LinkageError e) {
      return null;
    }
    try (InputStream in = (InputStream) EXECUTE.invoke(vm, command)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return null;
    } finally {
      try {
        vm.detach();
      } catch (Exception ignored) {
        // the target has gone; nothing to release
      }
    }
  }

  private static Method executeMethod() {
    try {
      return Class.forName("sun.tools.attach.HotSpotVirtualMachine").getMethod("executeJCmd", String.class);
    } catch (Exception | LinkageError e) {
      return null;
    }
  }
}
