# HTTP/1.1 response parser (translators/transport/http_parse.c): see fuzz_http_response.c.
wmgw_fuzz_target(fuzz_http_response wmgw_util)
# The parser is compiled into the target rather than taken from
# wmgw_transport, so the target needs neither h2o nor OpenSSL.
target_sources(fuzz_http_response PRIVATE ${CMAKE_SOURCE_DIR}/translators/transport/http_parse.c)
