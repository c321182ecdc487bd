package dev.graceful.runtime;

/**
 * A piece of an application that adds servers, verticles and checks to a runtime. Name one in
 * {@code GRACEFUL_VERTICLES} to run it from the base image; it needs a public no-argument constructor.
 */
@FunctionalInterface
public interface RuntimeModule {

  void configure(RuntimeBuilder runtime);
}
