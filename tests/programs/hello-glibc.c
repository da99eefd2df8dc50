/*
 * hello-glibc: a small static glibc program. It checks what every C program takes for granted: stdio, malloc,
 * getpid, a POSIX thread and gettimeofday, then prints "hello-glibc: ok" (exit 0) or
 * "hello-glibc: FAILED <why>" (exit 1). Built by xtask with `gcc -static -O2 -pthread`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* 2001-09-09: any clock set by a working kernel is past this. */
#define PLAUSIBLE_EPOCH_SECONDS 1000000000L

static int fail(const char *why)
{
    printf("hello-glibc: FAILED %s\n", why);
    return 1;
}

/* The thread doubles the number it is given, so the main thread can tell it really ran. */
static void *double_it(void *argument)
{
    long *value = argument;
    *value *= 2;
    return value;
}

int main(void)
{
    /* Large enough that glibc serves it with mmap rather than from the brk heap. */
    enum { BIG = 1 << 20, SMALL = 100 };
    char *small = malloc(SMALL);
    char *big = malloc(BIG);
    if (small == NULL || big == NULL)
        return fail("malloc returned NULL");
    memset(big, 0x5a, BIG);
    snprintf(small, SMALL, "%s", "heap");
    if (big[0] != 0x5a || big[BIG - 1] != 0x5a || strcmp(small, "heap") != 0)
        return fail("heap memory does not hold what was written");
    free(big);
    free(small);

    if (getpid() <= 0)
        return fail("getpid() is not positive");

    long value = 21;
    pthread_t thread;
    void *result = NULL;
    if (pthread_create(&thread, NULL, double_it, &value) != 0)
        return fail("pthread_create failed");
    if (pthread_join(thread, &result) != 0)
        return fail("pthread_join failed");
    if (result != &value || value != 42)
        return fail("the thread did not run or returned the wrong value");

    struct timeval now;
    if (gettimeofday(&now, NULL) != 0)
        return fail("gettimeofday failed");
    if (now.tv_sec < PLAUSIBLE_EPOCH_SECONDS || now.tv_usec < 0 || now.tv_usec >= 1000000)
        return fail("gettimeofday returned an implausible time");

    printf("hello-glibc: malloc, getpid, pthread and gettimeofday work\n");
    printf("hello-glibc: ok\n");
    return 0;
}
