/* A syscall-dense loop for scripts/bench-capture-micro.sh: prints the mean
 * nanoseconds per iteration.
 *   bench-loop open N       open + close of /etc/hostname
 *   bench-loop tmp N DIR    create, write 4 KiB, close, open, read, close,
 *                           unlink a temporary file in DIR */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	char p[256];
	struct timespec a, b;
	int n, tmp;
	if (argc < 3 || (strcmp(argv[1], "open") && (strcmp(argv[1], "tmp") || argc < 4))) {
		fprintf(stderr, "usage: %s open N | %s tmp N DIR\n", argv[0], argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	tmp = !strcmp(argv[1], "tmp");
	memset(buf, 'x', sizeof buf);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		int fd;
		if (!tmp) {
			fd = open("/etc/hostname", O_RDONLY);
			if (fd < 0)
				return 1;
			close(fd);
			continue;
		}
		snprintf(p, sizeof p, "%s/t%d.tmp", argv[3], i);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf)
			return 1;
		close(fd);
		fd = open(p, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof buf) != sizeof buf)
			return 1;
		close(fd);
		unlink(p);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
