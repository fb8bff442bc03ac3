"""The env host: a backend in a child process of its own, behind the same `Env` protocol."""

from leisaac_core.sim.host.proxy import HostedEnv

__all__ = ["HostedEnv"]
