# cmake -DWEB_DIR=<repo>/web -DOUT=<file.cc> -P embed_web.cmake
# Writes OUT, a C++ file defining cruddur::api::EmbeddedWebFiles() (src/api/web.h) with the bytes
# of every file under WEB_DIR, sorted by path. The console (src/wire/console.h) embeds console/
# with -DHEADER=wire/console.h -DNAMESPACE=cruddur::wire -DFUNCTION=EmbeddedConsoleFiles
# -DTYPE=ConsoleFile. Dot files (.gitignore, editor swap files) and names
# outside [A-Za-z0-9._/-] are left out. OUT is rewritten only when its text changes.
if(NOT HEADER)
  set(HEADER api/web.h)
  set(NAMESPACE cruddur::api)
  set(FUNCTION EmbeddedWebFiles)
  set(TYPE EmbeddedFile)
endif()
file(GLOB_RECURSE files RELATIVE "${WEB_DIR}" "${WEB_DIR}/*")
list(SORT files)
# CMake regexes have no {n}: spell out one line's worth of bytes.
string(REPEAT "0x..," 24 line_of_bytes)
set(arrays "")
set(table "")
set(count 0)
foreach(name IN LISTS files)
  if(name MATCHES "(^|/)\\." OR NOT name MATCHES "^[A-Za-z0-9._/-]+$")
    continue()
  endif()
  file(READ "${WEB_DIR}/${name}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(${line_of_bytes})" "\\1\n    " bytes "${bytes}")
  # A trailing 0 keeps empty files legal C++; size excludes it.
  string(APPEND arrays "constexpr unsigned char kFile${count}[] = {\n    ${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", kFile${count}, sizeof(kFile${count}) - 1},\n")
  math(EXPR count "${count} + 1")
endforeach()

get_filename_component(dir_name "${WEB_DIR}" NAME)
set(text "// Generated from ${dir_name}/ by src/api/embed_web.cmake: do not edit.\n")
string(APPEND text "#include \"${HEADER}\"\n\nnamespace ${NAMESPACE} {\n")
if(count GREATER 0)
  string(APPEND text "namespace {\n${arrays}constexpr ${TYPE} kFiles[] = {\n${table}};\n")
  string(APPEND text "}  // namespace\n\n")
  string(APPEND text "std::span<const ${TYPE}> ${FUNCTION}() { return kFiles; }\n")
else()
  string(APPEND text "std::span<const ${TYPE}> ${FUNCTION}() { return {}; }\n")
endif()
string(APPEND text "\n}  // namespace ${NAMESPACE}\n")

if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
