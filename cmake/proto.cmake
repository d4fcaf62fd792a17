# clinic_proto_library(<name> PROTOS <files relative to protos/> [DEPS <targets>] [GRPC])
#
# Generates C++ (and, with GRPC, the service stubs and their gMock mocks) for one proto
# package into ${CMAKE_BINARY_DIR}/gen and builds it as the static library <name>.
# Generated code is compiled without our warnings: it is not ours to fix.
set(CLINIC_PROTO_ROOT ${CMAKE_SOURCE_DIR}/protos)
set(CLINIC_PROTO_GEN ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${CLINIC_PROTO_GEN})

function(clinic_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS;DEPS" ${ARGN})
  set(srcs)
  set(hdrs)
  foreach(proto IN LISTS ARG_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outs ${CLINIC_PROTO_GEN}/${base}.pb.cc ${CLINIC_PROTO_GEN}/${base}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outs ${CLINIC_PROTO_GEN}/${base}.grpc.pb.cc ${CLINIC_PROTO_GEN}/${base}.grpc.pb.h
           ${CLINIC_PROTO_GEN}/${base}_mock.grpc.pb.h)
      set(plugin_args --grpc_out=generate_mock_code=true:${CLINIC_PROTO_GEN}
          --plugin=protoc-gen-grpc=${CLINIC_GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CLINIC_PROTOC} -I${CLINIC_PROTO_ROOT} -I/usr/include
              --cpp_out=${CLINIC_PROTO_GEN} ${plugin_args} ${CLINIC_PROTO_ROOT}/${proto}
      DEPENDS ${CLINIC_PROTO_ROOT}/${proto}
      COMMENT "protoc ${proto}"
      VERBATIM)
    foreach(out IN LISTS outs)
      if(out MATCHES "\\.cc$")
        list(APPEND srcs ${out})
      else()
        list(APPEND hdrs ${out})
      endif()
    endforeach()
  endforeach()
  add_library(${name} STATIC ${srcs} ${hdrs})
  # protoc's files each define the same file-level names: never compiled together.
  set_target_properties(${name} PROPERTIES UNITY_BUILD OFF)
  target_include_directories(${name} PUBLIC ${CLINIC_PROTO_GEN})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
endfunction()

# clinic_service_base(<name> PROTO <file with the service> PROTO_LIBRARY <target>)
#
# Runs protoc-gen-clinic (tools/protoc-gen-clinic) on one service file and builds the
# generated <Service>Base classes as the static library <name>: the thin gRPC layer that
# authenticates each call and dispatches to Handle<Method>() (see the plugin's comment).
function(clinic_service_base name)
  cmake_parse_arguments(ARG "" "PROTO;PROTO_LIBRARY" "" ${ARGN})
  string(REGEX REPLACE "\\.proto$" "" base ${ARG_PROTO})
  set(outs ${CLINIC_PROTO_GEN}/${base}.clinic.cc ${CLINIC_PROTO_GEN}/${base}.clinic.h)
  add_custom_command(
    OUTPUT ${outs}
    COMMAND ${CLINIC_PROTOC} -I${CLINIC_PROTO_ROOT} -I/usr/include
            --clinic_out=${CLINIC_PROTO_GEN}
            --plugin=protoc-gen-clinic=$<TARGET_FILE:protoc-gen-clinic>
            ${CLINIC_PROTO_ROOT}/${ARG_PROTO}
    DEPENDS ${CLINIC_PROTO_ROOT}/${ARG_PROTO} protoc-gen-clinic
    COMMENT "protoc-gen-clinic ${ARG_PROTO}"
    VERBATIM)
  add_library(${name} STATIC ${outs})
  target_link_libraries(${name} PUBLIC ${ARG_PROTO_LIBRARY} clinic::server absl::status)
endfunction()
