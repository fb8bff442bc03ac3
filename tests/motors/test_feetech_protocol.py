"""Packet bytes against the wire examples in the reference notes (checked there against the
vendor SDK), and the sign encodings of Homing_Offset and Present_Position."""

from __future__ import annotations

import pytest

from leisaac_core.motors.feetech import protocol


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text)


def test_ping_packet_matches_reference_example() -> None:
    assert protocol.ping_packet(1) == hexbytes("FF FF 01 02 01 FB")
    # The servo's answer parses as an error-free status packet from id 1.
    (reply,) = protocol.parse_status_packets(hexbytes("FF FF 01 02 00 FC"), 1)
    assert (reply.id, reply.error, reply.params) == (1, 0, b"")


def test_read_model_number_reply_decodes_to_sts3215() -> None:
    assert protocol.read_packet(1, 3, 2) == hexbytes("FF FF 01 04 02 03 02 F3")
    (reply,) = protocol.parse_status_packets(hexbytes("FF FF 01 04 00 09 03 EE"), 1)
    assert protocol.from_bytes(reply.params) == 777
    assert protocol.status_packet(1, 0, [0x09, 0x03]) == hexbytes("FF FF 01 04 00 09 03 EE")


def test_sync_read_present_position_packet_matches_reference_example() -> None:
    packet = protocol.sync_read_packet(0x38, 2, [1, 2, 3, 4, 5, 6])
    assert packet == hexbytes("FF FF FE 0A 82 38 02 01 02 03 04 05 06 26")


def test_sync_read_answer_is_six_packets_back_to_back() -> None:
    answer = b"".join(
        protocol.status_packet(i, 0, (2048 + i).to_bytes(2, "little")) for i in range(1, 7)
    )
    assert len(answer) == 48
    replies = protocol.parse_status_packets(answer, 6)
    assert [protocol.from_bytes(r.params) for r in replies] == [2049, 2050, 2051, 2052, 2053, 2054]


def test_sync_write_packet_layout() -> None:
    packet = protocol.sync_write_packet(42, 2, {1: b"\x00\x08", 2: b"\xff\x0f"})
    assert packet[:7] == hexbytes("FF FF FE 0A 83 2A 02")
    assert packet[7:-1] == hexbytes("01 00 08 02 FF 0F")
    assert packet[-1] == protocol.checksum(packet[2:-1])
    with pytest.raises(ValueError, match="expected 2"):
        protocol.sync_write_packet(42, 2, {1: b"\x00"})


def test_checksum_mismatch_and_truncation_are_reported() -> None:
    with pytest.raises(protocol.PacketError, match="checksum"):
        protocol.parse_status_packets(hexbytes("FF FF 01 04 00 09 03 EF"), 1)
    with pytest.raises(protocol.PacketError, match="truncated"):
        protocol.parse_status_packets(hexbytes("FF FF 01 04"), 1)
    with pytest.raises(protocol.PacketError, match="header"):
        protocol.parse_status_packets(hexbytes("FE FF 01 02 00 FC"), 1)


def test_scan_keeps_good_packets_around_a_damaged_one() -> None:
    good1 = protocol.status_packet(1, 0, b"\x10\x00")
    bad = bytearray(protocol.status_packet(2, 0, b"\x20\x00"))
    bad[5] ^= 0x40  # one flipped data bit: checksum no longer matches
    good3 = protocol.status_packet(3, 0x20, b"\x30\x00")
    packets, problems = protocol.scan_status_packets(good1 + bytes(bad) + good3)
    assert [p.id for p in packets] == [1, 3]
    assert packets[1].alarms == ("overload",)
    assert len(problems) == 1 and "checksum" in problems[0]


def test_scan_of_clean_data_reports_no_problem() -> None:
    data = protocol.status_packet(4, 0, b"") + protocol.status_packet(5, 0, b"\x01")
    packets, problems = protocol.scan_status_packets(data)
    assert [p.id for p in packets] == [4, 5]
    assert problems == []


@pytest.mark.parametrize(
    ("value", "raw"),
    [(0, 0x000), (731, 731), (-731, 0x800 | 731), (2047, 0x7FF), (-2047, 0xFFF)],
)
def test_homing_offset_sign_magnitude_bit_11(value: int, raw: int) -> None:
    assert protocol.encode_sign_magnitude(value, 11) == raw
    assert protocol.decode_sign_magnitude(raw, 11) == value


def test_homing_offset_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="bit 11"):
        protocol.encode_sign_magnitude(2048, 11)


def test_present_position_sign_bit_15() -> None:
    assert protocol.decode_sign_magnitude(0x8005, 15) == -5
    assert protocol.decode_sign_magnitude(4095, 15) == 4095


def test_error_bits_are_named() -> None:
    assert protocol.describe_error(0) == ()
    assert protocol.describe_error(0x01 | 0x04) == ("input voltage", "overheat")
    assert protocol.describe_error(0x40) == ("unknown bits 0x40",)
