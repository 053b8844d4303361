# Writes IN as a C byte array named NAME into OUT (cmake -P): how the
# gateway embeds openapi/openapi.json, its single source of truth.
file(READ "${IN}" content HEX)
string(LENGTH "${content}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "/* Generated from ${IN} at build time; do not edit. */\n#include <stddef.h>\nconst char ${NAME}[] = {${bytes}0x00};\nconst size_t ${NAME}_len = ${len};\n")
