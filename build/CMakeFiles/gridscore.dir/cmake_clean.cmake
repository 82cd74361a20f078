file(REMOVE_RECURSE
  "CMakeFiles/gridscore.dir/src/main.c.o"
  "CMakeFiles/gridscore.dir/src/main.c.o.d"
  "gridscore"
  "gridscore.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/gridscore.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
