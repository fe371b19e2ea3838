"""The `transitions` state machine, built once from the declaration in `flows.steps`.

States are the steps. Its triggers are the moves an interview can make:
- `advance` / `retreat`: to the next / previous question of this map (the edges are every
  pair of neighbouring questions of any map type, so the machine refuses any other jump);
- `edit`: from the review screen to any step, and `resume_review` back to it;
- `jump`: `/edit` in the middle of the interview, to any step and back;
- `finish`: review → done; `cancel`: anywhere → cancelled.
The engine picks the destination question (stage and persona included); the machine checks
that the move is legal and carries it out. One machine serves every interview: a model is
attached for the duration of one event (building a machine per interview costs too much).
"""

from __future__ import annotations

from enum import Enum
from itertools import pairwise

from transitions import Machine, MachineError, State
from transitions.core import EventData

from flows.interview import Interview, Position, Route, positions
from flows.model import Author, JourneyMap, Persona, Stage
from flows.spec import MapType, derived
from flows.steps import CANCELLED, DONE, steps

__all__ = ["MachineError", "move"]


def _neighbour_edges() -> set[tuple[str, str]]:
    """Every (question, next question) pair that any interview can have."""
    edges: set[tuple[str, str]] = set()
    nobody = Author(id="", name="")
    for map_type in MapType:
        sample = JourneyMap(map_type=map_type, stages=[Stage(name="a"), Stage(name="b")])
        sample.personas = [Persona(name=n, author=nobody) for n in "xy"]
        for guided in (False, True):
            for quick in (False, True):
                order = [p.state for p in positions(sample, Route(guided, quick))]
                edges |= set(pairwise(order))
    return edges


class _Run:
    """The machine's model for one event: it reads and writes the interview's state."""

    def __init__(self, interview: Interview, destination: Position | None) -> None:
        self.interview = interview
        self.destination = destination

    @property
    def state(self) -> str:
        return self.interview.state

    @state.setter
    def state(self, value: str) -> None:
        self.interview.state = value

    def heads_for_destination(self, event: EventData) -> bool:
        transition = event.transition
        return (
            self.destination is not None
            and transition is not None
            and transition.dest == self.destination.state
        )

    def arrive(self, event: EventData) -> None:
        position = self.destination or Position(state=self.interview.state)
        self.interview.stage, self.interview.persona = position.stage, position.persona
        # A new question: what was collected for the last one is done with.
        self.interview.rated_here, self.interview.proposals = [], []
        self.interview.pending = self.interview.changing = None


def _build() -> Machine:
    states = [step.state for step in steps()] + [DONE, CANCELLED]
    machine = Machine(
        model=None,
        states=states,
        initial=states[0],
        auto_transitions=False,
        send_event=True,
        after_state_change="arrive",
    )
    guarded = {"conditions": "heads_for_destination"}
    for source, dest in sorted(_neighbour_edges()):
        machine.add_transition("advance", source, dest, **guarded)
        machine.add_transition("retreat", dest, source, **guarded)
    # transitions wants a list of its own union type (list is invariant)
    editable: list[str | Enum | State] = [s.state for s in steps() if s.state != "review"]
    for target in editable:
        machine.add_transition("edit", "review", target, **guarded)
    machine.add_transition("resume_review", editable, "review")
    for target in editable:  # `/edit` in the middle of the interview, and back again
        machine.add_transition("jump", editable, target, **guarded)
    machine.add_transition("finish", "review", DONE)
    machine.add_transition("cancel", [s for s in states if s not in (DONE, CANCELLED)], CANCELLED)
    return machine


# Built again when the lanes' declarations change (a test declaring one more).
machine = derived(_build)


def move(interview: Interview, trigger: str, destination: Position | None = None) -> None:
    """Carry out one move on the interview; raises MachineError for an illegal one."""
    run = _Run(interview, destination)
    built = machine()
    built.add_model(run, initial=interview.state)
    try:
        if not run.trigger(trigger):  # type: ignore[attr-defined]
            raise MachineError(f"{trigger} to {destination} refused from {interview.state}")
    finally:
        built.remove_model(run)
