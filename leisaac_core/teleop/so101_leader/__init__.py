"""SO-101 leader arm (Feetech STS3215 servos on a serial bus) as a teleop device."""
