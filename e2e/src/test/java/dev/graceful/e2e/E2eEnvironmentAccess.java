package dev.graceful.e2e;

import java.nio.file.Path;

/** The repository root, for helpers outside this package (the load tools' input files). */
public final class E2eEnvironmentAccess {

  private E2eEnvironmentAccess() {
  }

  public static Path repo() {
    return E2eEnvironment.REPO;
  }
}
