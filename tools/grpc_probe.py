#!/usr/bin/python3
"""Small gRPC probes for scripts and end-to-end tests (Debian's python3-grpcio only).

  grpc_probe.py health ADDRESS [SERVICE]    prints SERVING / NOT_SERVING / ...; exit 0 iff SERVING
  grpc_probe.py wait ADDRESS SERVICE SECS   waits until SERVING; exit 1 on timeout
  grpc_probe.py services ADDRESS            lists the services known to server reflection

The messages are encoded by hand (no generated Python code): health.proto's
HealthCheckRequest{string service = 1} and the reflection request's list_services (7).
"""
import sys
import time

import grpc

STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string_field(number, text):
    data = text.encode()
    return _varint((number << 3) | 2) + _varint(len(data)) + data


def _fields(data):
    """Yields (number, wire_type, value) of a serialized message (varint and bytes only)."""
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 2:
            length, i = _read_varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, value


def _read_varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def health(address, service="", timeout=2.0, metadata=None):
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=lambda x: x, response_deserializer=lambda x: x)
        response = check(_string_field(1, service) if service else b"", timeout=timeout, metadata=metadata)
        status = 0
        for number, _, value in _fields(response):
            if number == 1:
                status = value
        return STATUS.get(status, str(status))


def services(address, timeout=5.0):
    with grpc.insecure_channel(address) as channel:
        info = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                     request_serializer=lambda x: x, response_deserializer=lambda x: x)
        names = []
        for response in info(iter([_string_field(7, "")]), timeout=timeout):
            for number, _, value in _fields(response):
                if number == 6:  # list_services_response
                    for n2, _, service in _fields(value):
                        if n2 == 1:
                            for n3, _, name in _fields(service):
                                if n3 == 1:
                                    names.append(name.decode())
        return names


def main(argv):
    if len(argv) >= 3 and argv[1] == "health":
        try:
            status = health(argv[2], argv[3] if len(argv) > 3 else "")
        except grpc.RpcError as e:
            status = "ERROR %s" % e.code().name
        print(status)
        return 0 if status == "SERVING" else 1
    if len(argv) == 5 and argv[1] == "wait":
        deadline = time.monotonic() + float(argv[4])
        while time.monotonic() < deadline:
            try:
                if health(argv[2], argv[3], timeout=1.0) == "SERVING":
                    return 0
            except grpc.RpcError:
                pass
            time.sleep(0.1)
        return 1
    if len(argv) == 3 and argv[1] == "services":
        print("\n".join(services(argv[2])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
