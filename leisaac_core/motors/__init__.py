"""Motor buses used by teleoperation hardware (no web or sim imports here)."""
