package dev.graceful.bench.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FootprintTest {

  @Test
  void countsTheRuntimeJarAndTheJarsInLib(@TempDir Path repo) throws Exception {
    assertEquals("not measured (runtime/target/graceful-runtime.jar and runtime/target/lib/ are not built)",
        Footprint.runtimeJars(repo).describe());
    Path lib = Files.createDirectories(repo.resolve("runtime/target/lib"));
    Files.write(repo.resolve("runtime/target/graceful-runtime.jar"), new byte[1024 * 1024]);
    Files.write(lib.resolve("a.jar"), new byte[3 * 1024 * 1024]);
    Files.write(lib.resolve("b.jar"), new byte[1024 * 1024]);
    Files.writeString(lib.resolve("README.txt"), "not a jar");
    Footprint.Jars jars = Footprint.runtimeJars(repo);
    assertEquals(3, jars.count());
    assertEquals(5L * 1024 * 1024, jars.bytes());
    assertEquals("3 jars, 5.0 MiB (graceful-runtime.jar 1.0 MiB + 2 in runtime/target/lib/ 4.0 MiB)", jars.describe());
  }

  @Test
  void readsPodmansSizeAndRatio() {
    assertEquals(554123456L, Footprint.parseSize("554123456\n"));
    assertEquals(-1, Footprint.parseSize("Error: no such image"));
    assertEquals(-1, Footprint.parseSize(""));
    Footprint.ImageSize runtime = new Footprint.ImageSize("localhost/graceful-runtime:e2e", 554_000_000L, null);
    Footprint.ImageSize plain = new Footprint.ImageSize("localhost/naive-vertx:e2e", 500_000_000L, null);
    assertEquals("554 MB (528.3 MiB)", runtime.describe());
    assertEquals("1.108", Footprint.ratio(runtime, plain));
    Footprint.ImageSize missing = new Footprint.ImageSize("x", -1, "podman not available");
    assertEquals("not measured (podman not available)", missing.describe());
    assertEquals("", Footprint.ratio(runtime, missing));
    // A run whose contenders built only one of the two images (rollout.contenders=graceful-runtime).
    assertEquals("", Footprint.ratio(runtime, null));
    assertEquals("", Footprint.ratio(null, plain));
  }

  @Test
  void anImageThatIsNotThereIsNotMeasuredRatherThanAFailure(@TempDir Path repo) {
    // With or without podman on this machine: never a throw, always a reason.
    Footprint.ImageSize size = Footprint.imageSize(repo, "localhost/graceful-bench-test-no-such-image:none");
    assertFalse(size.measured());
    assertTrue(size.describe().startsWith("not measured ("), size.describe());
  }
}
