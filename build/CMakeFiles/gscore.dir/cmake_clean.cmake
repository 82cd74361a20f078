file(REMOVE_RECURSE
  "CMakeFiles/gscore.dir/embed_gen.c.o"
  "CMakeFiles/gscore.dir/embed_gen.c.o.d"
  "CMakeFiles/gscore.dir/src/auth.c.o"
  "CMakeFiles/gscore.dir/src/auth.c.o.d"
  "CMakeFiles/gscore.dir/src/db.c.o"
  "CMakeFiles/gscore.dir/src/db.c.o.d"
  "CMakeFiles/gscore.dir/src/demo.c.o"
  "CMakeFiles/gscore.dir/src/demo.c.o.d"
  "CMakeFiles/gscore.dir/src/http.c.o"
  "CMakeFiles/gscore.dir/src/http.c.o.d"
  "CMakeFiles/gscore.dir/src/ratelimit.c.o"
  "CMakeFiles/gscore.dir/src/ratelimit.c.o.d"
  "CMakeFiles/gscore.dir/src/route.c.o"
  "CMakeFiles/gscore.dir/src/route.c.o.d"
  "CMakeFiles/gscore.dir/src/stats.c.o"
  "CMakeFiles/gscore.dir/src/stats.c.o.d"
  "CMakeFiles/gscore.dir/src/util.c.o"
  "CMakeFiles/gscore.dir/src/util.c.o.d"
  "CMakeFiles/gscore.dir/src/view.c.o"
  "CMakeFiles/gscore.dir/src/view.c.o.d"
  "CMakeFiles/gscore.dir/src/web.c.o"
  "CMakeFiles/gscore.dir/src/web.c.o.d"
  "embed_gen.c"
  "libgscore.a"
  "libgscore.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/gscore.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
