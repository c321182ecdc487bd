#!/usr/bin/env bash
# Compiles the example against the runtime and packs target/hello-module.jar (a real project would use Maven
# or Gradle with dev.graceful:graceful-runtime as a provided dependency).
set -euo pipefail
cd "$(dirname "$0")"
runtime=../../runtime/target
[ -f "$runtime/graceful-runtime.jar" ] || (cd ../.. && mvn -B -q -pl runtime -am package -DskipTests)
rm -rf target && mkdir -p target/classes
javac --release 17 -d target/classes -cp "$runtime/graceful-runtime.jar:$runtime/lib/*" src/com/example/HelloModule.java
jar --create --file target/hello-module.jar -C target/classes .
