# HTTP/1.1 response parser (translators/transport/http_parse.c): see fuzz_http_response.c.
wmgw_fuzz_target(fuzz_http_response wmgw_util)
# Compiled into the target, not taken from wmgw_transport, so that
# libFuzzer sees its coverage (and the target needs no h2o or OpenSSL).
target_sources(fuzz_http_response PRIVATE ${CMAKE_SOURCE_DIR}/translators/transport/http_parse.c)
