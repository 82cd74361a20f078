
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/build/embed_gen.c" "CMakeFiles/gscore.dir/embed_gen.c.o" "gcc" "CMakeFiles/gscore.dir/embed_gen.c.o.d"
  "/work/main/src/auth.c" "CMakeFiles/gscore.dir/src/auth.c.o" "gcc" "CMakeFiles/gscore.dir/src/auth.c.o.d"
  "/work/main/src/db.c" "CMakeFiles/gscore.dir/src/db.c.o" "gcc" "CMakeFiles/gscore.dir/src/db.c.o.d"
  "/work/main/src/demo.c" "CMakeFiles/gscore.dir/src/demo.c.o" "gcc" "CMakeFiles/gscore.dir/src/demo.c.o.d"
  "/work/main/src/http.c" "CMakeFiles/gscore.dir/src/http.c.o" "gcc" "CMakeFiles/gscore.dir/src/http.c.o.d"
  "/work/main/src/ratelimit.c" "CMakeFiles/gscore.dir/src/ratelimit.c.o" "gcc" "CMakeFiles/gscore.dir/src/ratelimit.c.o.d"
  "/work/main/src/route.c" "CMakeFiles/gscore.dir/src/route.c.o" "gcc" "CMakeFiles/gscore.dir/src/route.c.o.d"
  "/work/main/src/stats.c" "CMakeFiles/gscore.dir/src/stats.c.o" "gcc" "CMakeFiles/gscore.dir/src/stats.c.o.d"
  "/work/main/src/util.c" "CMakeFiles/gscore.dir/src/util.c.o" "gcc" "CMakeFiles/gscore.dir/src/util.c.o.d"
  "/work/main/src/view.c" "CMakeFiles/gscore.dir/src/view.c.o" "gcc" "CMakeFiles/gscore.dir/src/view.c.o.d"
  "/work/main/src/web.c" "CMakeFiles/gscore.dir/src/web.c.o" "gcc" "CMakeFiles/gscore.dir/src/web.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
