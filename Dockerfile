# Graceful Runtime base image.
#
# Teams build FROM it: copy application jars into /app/ext and name their classes in GRACEFUL_VERTICLES.
# With no application jars it runs the demo (HTTP 8080, gRPC 9090, probes and metrics 9000).
#
#   mvn -B -q -DskipTests package
#   docker build -t graceful-runtime:0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#
# The base is a build argument so it can be swapped: another Java 21 JRE distribution, a hardened or internally
# mirrored image, a base without a shell (distroless), or one pinned by digest:
#
#   docker build --build-arg BASE_IMAGE=eclipse-temurin:21-jre@sha256:<digest> .
#
# Any base works that has `java` (21) on PATH and the JDK's default CDS archive (lib/server/classes.jsa: Temurin,
# Debian's and distroless JREs ship it). The one command run at build time is `java` in exec form, so the base needs
# no shell, no useradd and no writable /etc/passwd.
#
# Class-data sharing (docs/image.md): a first stage runs a training (dev.graceful.runtime.training.CdsTraining): it
# starts the runtime as this image does, Main with the demo in a JVM of its own, against a stand-in Kubernetes API
# server found as a pod finds the real one (pod read, readiness gate), probes it, sends HTTP/1.1, h2c and gRPC
# requests, then SIGTERM and the drain; that JVM writes every class it loaded into /app/cds/runtime.jsa at exit. The
# training's own classes (the stand-in, the clients) stay in the driving JVM, out of the archive. The runtime maps
# that archive at start instead of reading, parsing and verifying those classes from the jars. The class path is fixed
# so the archive can match it: the runtime's jar (its manifest lists lib/*.jar), then application jars from /app/ext,
# which only extend it.
# -Xshare:off in JAVA_TOOL_OPTIONS turns it off; a mismatch never fails the start (Xshare:auto falls back).
ARG BASE_IMAGE=eclipse-temurin:21-jre

# Training stage: same base, same jars, same paths as the final image (the archive records each jar's path, size and
# modification time, and the JVM it was made with). A dynamic archive (-XX:ArchiveClassesAtExit, which the training
# gives the runtime's JVM) layered on the JDK's default CDS archive: no class list to keep, and it works on any JRE that
# ships the default archive. -Xmx here and in the runtime's JVM pins compressed oops on, as in any pod under 32 GiB: the
# default archive a JVM picks follows that setting, and the layered archive only matches the one it was made on. A
# training that fails exits non-zero, leaves no archive, and fails the build.
FROM ${BASE_IMAGE} AS cds-training
COPY runtime/target/lib/ /app/lib/
COPY runtime/target/graceful-runtime.jar /app/graceful-runtime.jar
WORKDIR /app/cds
RUN ["java", "-Xmx256m", "-Djava.io.tmpdir=/tmp", "-cp", "/app/graceful-runtime.jar", "dev.graceful.runtime.training.CdsTraining", \
  "/app/cds/runtime.jsa"]

FROM ${BASE_IMAGE}

# OCI annotations; the build passes the real revision (and, for a published image, its source and licence).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="Graceful Runtime" \
      org.opencontainers.image.description="Vert.x HTTP and gRPC servers that start and drain on Kubernetes without dropping requests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}"

# Owned by root and read-only for the process: the runtime never writes next to its jars. Copied from the training
# stage, so the jars are the very files the archive was made from (same modification times).
COPY --from=cds-training /app/ /app/

WORKDIR /app
# Numeric, so no passwd entry is needed (the Helm chart's runAsUser). Without one the JVM has no home directory;
# -Duser.home below gives it /tmp, the one place the chart leaves writable.
USER 10001:10001
EXPOSE 8080 9090 9000

# Exec form, so java is PID 1 and receives SIGTERM itself (a shell in between would swallow it).
# Heap as a share of the container's memory limit; exit on OutOfMemoryError so the kubelet restarts a broken
# JVM instead of leaving it half alive. Add JVM options with JAVA_TOOL_OPTIONS. The class path is the runtime's jar
# (its manifest's Class-Path names every jar in lib/) and then the application's: the CDS archive matches it.
ENTRYPOINT ["java", \
  "-XX:MaxRAMPercentage=75.0", \
  "-XX:InitialRAMPercentage=25.0", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-Djava.io.tmpdir=/tmp", \
  "-Duser.home=/tmp", \
  "-XX:SharedArchiveFile=/app/cds/runtime.jsa", \
  "-cp", "/app/graceful-runtime.jar:/app/ext/*", \
  "dev.graceful.runtime.Main"]
