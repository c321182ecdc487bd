package dev.graceful.bench.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JVM options of the base image's {@code ENTRYPOINT ["java", ...]}, read from the Dockerfile so the benchmarks
 * start their JVMs the way the image does and stay in step when the image changes. Only options are kept: not
 * {@code java}, the class path, the main class, or the image's class-data sharing archive (a path inside the image).
 */
public final class DockerfileFlags {

  private DockerfileFlags() {
  }

  public static List<String> read(Path dockerfile) {
    try {
      return parse(Files.readString(dockerfile));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the JVM flags from " + dockerfile, e);
    }
  }

  public static List<String> parse(String dockerfile) {
    // The ENTRYPOINT instruction with its backslash continuations joined.
    String joined = dockerfile.replaceAll("\\\\\\r?\\n", " ");
    Matcher entry = Pattern.compile("(?m)^\\s*ENTRYPOINT\\s*\\[(.*)]\\s*$").matcher(joined);
    String last = null;
    while (entry.find()) {
      last = entry.group(1);
    }
    if (last == null) {
      throw new IllegalArgumentException("no exec-form ENTRYPOINT in the Dockerfile");
    }
    List<String> words = new ArrayList<>();
    Matcher word = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(last);
    while (word.find()) {
      words.add(word.group(1));
    }
    List<String> flags = new ArrayList<>();
    for (int i = 1; i < words.size(); i++) {
      String w = words.get(i);
      if (w.equals("-cp") || w.equals("-classpath") || w.equals("--class-path")) {
        i++;
      } else if (w.startsWith("-XX:SharedArchiveFile=")) {
        continue; // the image's own archive path: the harness gives the runtime the archive trained on its host
      } else if (w.startsWith("-")) {
        flags.add(w);
      }
    }
    return List.copyOf(flags);
  }
}
