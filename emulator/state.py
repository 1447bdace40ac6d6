"""The running emulator's state, reachable as ``app.state.emulator``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .auth import Authenticator
from .config import EmulatorConfig
from .faults import FaultInjector, Faults
from .seed import SeedExamples, World, build_world, examples_from_seed, read_seed
from .store import Store


@dataclass(frozen=True)
class Operation:
    """A control-plane operation; writes apply at once, so each is born COMPLETED."""

    id: str
    store_id: str
    created_at: str
    result_path: str


@dataclass(frozen=True)
class ReceivedWrite:
    """A profile write the emulator received and checked (for tests: how many reached it)."""

    operation: str
    store_id: str
    profile_id: str
    outcome: str  # "applied", "pending", or the fault answered ("500", "429", "timeout")


@dataclass
class EmulatorState:
    config: EmulatorConfig
    world: World
    authenticator: Authenticator
    injector: FaultInjector
    examples: SeedExamples | None = None
    operations: dict[str, Operation] = field(default_factory=dict)
    received: list[ReceivedWrite] = field(default_factory=list)
    # Accepted writes not yet visible (config.write_delay): when each is due, and its effect.
    pending: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic

    def accept(self, effect: Callable[[], None]) -> None:
        """A 202: apply ``effect`` now, or once ``config.write_delay`` has passed."""
        if self.config.write_delay <= 0:
            effect()
        else:
            self.pending.append((self.clock() + self.config.write_delay, effect))

    def settle(self) -> None:
        """Apply the accepted writes that are due, in the order they were accepted."""
        now = self.clock()
        while self.pending and self.pending[0][0] <= now:
            _, effect = self.pending.pop(0)
            effect()

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> EmulatorState:
        seed = read_seed(config.seed)
        world = build_world(seed)
        try:
            examples: SeedExamples | None = examples_from_seed(seed)
        except ValueError:
            examples = None  # a custom seed need not name examples
        return cls(
            config=config,
            world=world,
            authenticator=Authenticator(world.accounts),
            # A copy: the config stays frozen in spirit while the app's faults change.
            injector=FaultInjector(dataclasses.replace(config.faults)),
            examples=examples,
        )

    @property
    def faults(self) -> Faults:
        """The live fault settings; mutate fields, or assign a new :class:`Faults`."""
        return self.injector.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.injector.replace(faults)

    @property
    def stores(self) -> dict[str, Store]:
        return self.world.stores
