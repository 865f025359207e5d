"""Type stubs of the extension module spikegpu._spikegpu."""

from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

PopulationKey = Union[str, int]
ChannelKey = Union[str, int]

class NoAdapterError(RuntimeError): ...
class GpuError(RuntimeError): ...
class InternalError(RuntimeError): ...

class Model:
    """A validated, immutable network with its probes and duration."""

    @property
    def name(self) -> str: ...
    @property
    def dt(self) -> float: ...
    @property
    def seed(self) -> int: ...
    @property
    def duration(self) -> Optional[float]: ...
    @property
    def neuron_count(self) -> int: ...
    @property
    def populations(self) -> List[Tuple[str, int, str, int]]:
        """(name, size, model, first global index) per population."""
    @property
    def projections(self) -> List[Tuple[str, str, str, bool]]:
        """(pre, post, receptor, plastic) per projection."""
    @property
    def probes(self) -> List[Tuple[str, str, List[int], float]]:
        """(population, variable, neurons, interval_ms) per probe of the model file."""

class Simulator:
    """A model instantiated on a backend ("auto", "gpu" or "cpu")."""

    def __init__(self, model: Model, backend: str = "auto", progress: bool = False) -> None: ...
    def run(self, ms: float, progress: Optional[bool] = None) -> None:
        """Runs `ms` of biological time (whole ticks), continuing; the GIL is released."""
    def run_ticks(self, ticks: int, progress: Optional[bool] = None) -> None: ...
    @property
    def t(self) -> float: ...
    @property
    def ticks(self) -> int: ...
    @property
    def dt(self) -> float: ...
    @property
    def backend(self) -> str: ...
    @property
    def adapter(self) -> str: ...
    @property
    def build_seconds(self) -> float: ...
    @property
    def model(self) -> Model: ...
    @property
    def probes(self) -> List[Tuple[str, str, List[int], float]]: ...
    def counters(self) -> Dict[str, int]: ...
    def spikes(self, population: PopulationKey) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32]]:
        """(times_ms, neurons) of one population, sorted by time then neuron."""
    def spike_records(self) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        """(ticks, global neurons) of every recorded spike."""
    def clear_spikes(self) -> None: ...
    def spike_hash(self) -> int: ...
    def state(self, population: PopulationKey, variable: str) -> npt.NDArray[np.float32]: ...
    def add_probe(
        self,
        population: PopulationKey,
        variable: str,
        neurons: Optional[List[int]] = None,
        interval: Optional[float] = None,
    ) -> int: ...
    def probe(self, id: int) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
        """(times_ms, values[samples, neurons])."""
    def weights(
        self, projection: int
    ) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float32]]:
        """(pre, post, weights) of one projection."""
    def delays(self, projection: int) -> npt.NDArray[np.float64]:
        """Delays (ms) in the order of `weights`."""
    def set_weights(self, projection: int, weights: npt.ArrayLike) -> None: ...
    def set_delays(self, projection: int, delays: Sequence[float]) -> None:
        """New delays (ms, whole ticks from one to the longest at build) from the next tick."""
    def set_state(self, population: PopulationKey, variable: str, values: npt.ArrayLike) -> None:
        """Sets v, u, syn_e or syn_i of every neuron of a population from the next tick."""
    def set_spike_times(self, population: PopulationKey, times: Sequence[Sequence[float]]) -> None:
        """New spike times (ms, none before now) of a spike source population."""
    def set_source_rates(self, population: PopulationKey, rates: Sequence[float]) -> None:
        """New rates (Hz, one per neuron) of a Poisson source population."""
    def set_poisson_rate(self, index: int, rate_hz: float) -> None:
        """New rate of Poisson input `index` (replacing any schedule) from the next tick."""
    def set_current(
        self,
        index: int,
        dc: Optional[float] = None,
        step_times: Optional[Sequence[float]] = None,
        step_amplitudes: Optional[Sequence[float]] = None,
        noise_mean: Optional[float] = None,
        noise_std: float = 0.0,
        sine_amplitude: Optional[float] = None,
        sine_offset: float = 0.0,
        sine_frequency: float = 0.0,
        sine_phase: float = 0.0,
        sine_start: float = 0.0,
        sine_stop: Optional[float] = None,
    ) -> None: ...
    def set_modulator(self, channel: ChannelKey, level: float) -> None: ...
    def add_modulator(self, channel: ChannelKey, amount: float) -> None: ...
    def modulator(self, channel: ChannelKey) -> float: ...
    def eligibility(self, projection: int) -> npt.NDArray[np.float32]: ...
    def raster(
        self, path: Union[str, PathLike], title: Optional[str] = None, size: Tuple[int, int] = (1200, 800)
    ) -> None: ...

def load(path: Union[str, PathLike], seed: Optional[int] = None) -> Model: ...
def loads(text: str, seed: Optional[int] = None, origin: str = "<string>") -> Model: ...
def from_document(document: Dict[str, Any], seed: Optional[int] = None, origin: str = "<network>") -> Model: ...
def document_to_toml(document: Dict[str, Any]) -> str: ...
def devices() -> List[Dict[str, Any]]: ...
def spike_hash(ticks: npt.ArrayLike, neurons: npt.ArrayLike) -> int: ...
