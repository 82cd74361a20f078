#include "check.h"
#include "xform.h"
int main(void)
{
	struct xform *f = NULL;
	struct xform_error e;
	enum gs_result r = xform_load_file("forms/hall-satisfaction.xml", &f, &e);
	if (r != GS_OK)
		fprintf(stderr, "%s:%ld: %s\n", e.file, e.line, e.message);
	CHECK_INT(r, GS_OK);
	xform_free(f);
	return check_finish("test_xform");
}
