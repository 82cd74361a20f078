/* fuzz_xform.c — libFuzzer target: arbitrary bytes loaded as a survey form. A form
 * that loads must also answer a question lookup and free cleanly. */
#include <stddef.h>
#include <stdint.h>

#include "xform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xform *f = NULL;
	struct xform_error err;
	if (xform_load_memory("fuzz.xml", (const char *)data, size, &f, &err) == GS_OK) {
		if (f->n_questions == 0 || f->rating >= f->n_questions || !f->questions[f->rating].is_rating)
			__builtin_trap();
		for (size_t i = 0; i < f->n_questions; i++)
			if (xform_find(f, f->questions[i].name) != (long)i ||
			    !*xform_text(f->questions[i].label, XFORM_EN))
				__builtin_trap();
	} else {
		char msg[512];
		xform_error_format(&err, msg, sizeof msg);
	}
	xform_free(f);
	return 0;
}
