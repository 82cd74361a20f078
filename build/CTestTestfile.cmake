# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_auth]=] "/work/main/build/test_auth")
set_tests_properties([=[test_auth]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_db]=] "/work/main/build/test_db")
set_tests_properties([=[test_db]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_http]=] "/work/main/build/test_http")
set_tests_properties([=[test_http]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_ratelimit]=] "/work/main/build/test_ratelimit")
set_tests_properties([=[test_ratelimit]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_route]=] "/work/main/build/test_route")
set_tests_properties([=[test_route]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_stats]=] "/work/main/build/test_stats")
set_tests_properties([=[test_stats]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_view]=] "/work/main/build/test_view")
set_tests_properties([=[test_view]=] PROPERTIES  ENVIRONMENT "GS_BIN=/work/main/build/gridscore;GS_SRC=/work/main;GS_TMP=/work/main/build/testtmp" TIMEOUT "300" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;66;add_test;/work/main/CMakeLists.txt;0;")
