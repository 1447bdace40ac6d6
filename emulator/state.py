"""The running emulator's state, reachable as ``app.state.emulator``."""

from __future__ import annotations

import dataclasses
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


@dataclass
class EmulatorState:
    config: EmulatorConfig
    world: World
    authenticator: Authenticator
    injector: FaultInjector
    examples: SeedExamples | None = None
    operations: dict[str, Operation] = field(default_factory=dict)

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
