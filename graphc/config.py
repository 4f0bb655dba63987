"""TensorFlow 1's session options, tf.ConfigProto and tf.GPUOptions, accepted so that
`tf.Session(config=tf.ConfigProto(...))` runs unchanged. They have no effect: graphc places
every op itself (the Session's `device`), logs no placements, sizes its own thread pools
(runtime.md) and allocates GPU memory as it needs it."""

from __future__ import annotations

from typing import Any


class _Options:
    """A protobuf-like message: the fields TensorFlow 1's has, each settable by keyword or
    attribute; an unknown field raises, as a protobuf does."""

    FIELDS: dict[str, Any] = {}

    def __init__(self, **fields: Any) -> None:
        for key, default in self.FIELDS.items():
            object.__setattr__(self, key, default() if callable(default) else default)
        for key, value in fields.items():
            setattr(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        if key not in self.FIELDS:
            raise ValueError(f'Protocol message {type(self).__name__} has no "{key}" field.')
        object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        changed = {k: getattr(self, k) for k, v in self.FIELDS.items()
                   if not callable(v) and getattr(self, k) != v}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


class GPUOptions(_Options):
    """TensorFlow 1's GPUOptions (allow_growth, per_process_gpu_memory_fraction,
    visible_device_list...): accepted, no effect."""

    FIELDS = {"per_process_gpu_memory_fraction": 0.0, "allow_growth": False,
              "allocator_type": "", "deferred_deletion_bytes": 0, "visible_device_list": "",
              "polling_active_delay_usecs": 0, "polling_inactive_delay_msecs": 0,
              "force_gpu_compatible": False, "experimental": None}


class GraphOptions(_Options):
    """TensorFlow 1's GraphOptions: accepted, no effect (graphc's passes always run)."""

    FIELDS = {"enable_recv_scheduling": False, "optimizer_options": None,
              "build_cost_model": 0, "build_cost_model_after": 0, "infer_shapes": False,
              "place_pruned_graph": False, "enable_bfloat16_sendrecv": False,
              "timeline_step": 0, "rewrite_options": None}


class ConfigProto(_Options):
    """TensorFlow 1's ConfigProto (allow_soft_placement, log_device_placement, gpu_options,
    device_count, inter_op_parallelism_threads, intra_op_parallelism_threads...), for
    `tf.Session(config=...)`: accepted, no effect. `config.gpu_options.allow_growth = True`
    works as in TensorFlow."""

    FIELDS = {"device_count": dict, "intra_op_parallelism_threads": 0,
              "inter_op_parallelism_threads": 0, "use_per_session_threads": False,
              "session_inter_op_thread_pool": list, "placement_period": 0,
              "device_filters": list, "gpu_options": GPUOptions,
              "allow_soft_placement": False, "log_device_placement": False,
              "graph_options": GraphOptions, "operation_timeout_in_ms": 0, "rpc_options": None,
              "cluster_def": None, "isolate_session_state": False,
              "share_cluster_devices_in_session": False, "experimental": None}


def check_config(config: Any) -> None:
    """A Session's config: None or a ConfigProto (TensorFlow's TypeError otherwise)."""
    if config is not None and not isinstance(config, ConfigProto):
        raise TypeError(f"config must be a tf.ConfigProto, but got {type(config)}")
