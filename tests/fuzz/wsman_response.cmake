# WS-Management response envelopes (translators/wsman/soap_read.c and what
# it calls): see fuzz_wsman_response.c.  The parsers are compiled into the
# target too, so libFuzzer sees their coverage (the libraries are built
# without it); their copies win over the libraries' at link time.
wmgw_fuzz_target(fuzz_wsman_response wmgw_translators)
target_sources(fuzz_wsman_response PRIVATE
  ${CMAKE_SOURCE_DIR}/translators/wsman/soap_read.c ${CMAKE_SOURCE_DIR}/translators/wsman/fault.c
  ${CMAKE_SOURCE_DIR}/translators/wsman/class_read.c ${CMAKE_SOURCE_DIR}/translators/wsman/cimxml_read.c)
