#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
static void sigdown(int s) { _exit(0); }
static void sigreap(int s) { while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction down = {.sa_handler = sigdown}, reap = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &down, NULL); sigaction(SIGTERM, &down, NULL); sigaction(SIGCHLD, &reap, NULL);
  for (;;) pause();
}
