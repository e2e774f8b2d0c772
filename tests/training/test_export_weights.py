"""The model card describes the checkpoint that was exported and counts the whole lineage's training
(training.export_weights.checkpoint_row, run_totals)."""
import pytest

torch = pytest.importorskip("torch")

import json  # noqa: E402

from training.export_weights import (cache_description, carried_caches, checkpoint_row,  # noqa: E402
                                    optimiser_description, read_history, run_totals, tail_mean_row)

# A time-boxed run: epochs 1 and 2 end at steps 300 and 600; the time box stops at step 655, still epoch 2.
HISTORY = [
    {"epoch": "1", "step": "300", "samples": "3600", "wall_s": "980.4", "val_nrmse": "0.160"},
    {"epoch": "2", "step": "600", "samples": "7200", "wall_s": "1950.0", "val_nrmse": "0.150"},
    {"epoch": "2", "step": "655", "samples": "7860", "wall_s": "2101.7", "val_nrmse": "0.151"},
]


def test_last_checkpoint_is_the_time_box_row_not_the_first_row_of_its_epoch():
    row = checkpoint_row(HISTORY, {"epoch": 2, "step": 655, "samples": 7860})
    assert (row["step"], row["samples"]) == ("655", "7860")


def test_last_checkpoint_written_at_an_epoch_end():
    assert checkpoint_row(HISTORY, {"epoch": 1, "step": 300})["samples"] == "3600"


def test_bare_best_checkpoint_is_the_lowest_validation_row():
    assert checkpoint_row(HISTORY, None)["step"] == "600"


def test_a_run_counts_up_to_its_final_row_even_when_the_best_was_earlier():
    assert run_totals(HISTORY) == (7860, 2101)


def test_a_tail_mean_is_described_by_the_newest_row_of_its_log(tmp_path):
    (tmp_path / "average.csv").write_text("epoch,step,samples,epochs_averaged,val_nrmse,val_mask_iou\n"
                                          "4,600,7200,1,0.153,0.98\n5,750,9000,2,0.152,0.98\n")
    tail = tail_mean_row(tmp_path)
    assert (tail["epoch"], tail["epochs_averaged"], tail["val_nrmse"]) == ("5", "2", "0.152")
    assert checkpoint_row(HISTORY + [{"epoch": "3", "step": "750", "samples": "9000"}],
                          {"step": int(tail["step"])})["samples"] == "9000"


def test_a_folder_without_logs_is_refused_with_a_message_naming_the_file(tmp_path):
    with pytest.raises(SystemExit, match="history.csv"):
        read_history(tmp_path)
    with pytest.raises(SystemExit, match="average.csv"):
        tail_mean_row(tmp_path)


def test_a_carried_run_counts_each_cache_folder_once_across_its_sessions(tmp_path):
    library = {"folder": "libup256a", "drawings": 2000, "seeds": [13000000, 13001999]}
    sessions = [[{"folder": "train256ak", "drawings": 2750, "seeds": [15400000, 15402749]}, library],
                [{"folder": "train256am", "drawings": 1500, "seeds": [15600000, 15601499]}, library]]
    cards = []
    for n, caches in enumerate(sessions):
        cards.append(tmp_path / f"session{n}.json")
        cards[-1].write_text(json.dumps({"run": "r9", "caches": caches}))
    caches = carried_caches(cards)
    assert [c["folder"] for c in caches] == ["train256ak", "libup256a", "train256am"]
    assert cache_description(caches).startswith("This run's caches: 6,250 drawings (train256ak, libup256a")


def test_the_card_names_the_schedule_the_run_used_not_the_defaults():
    assert optimiser_description({}) == ("AdamW (weight decay 1e-4), ReduceLROnPlateau(0.5, patience 2) on "
                                         "validation nRMSE, early stop (patience 5) on validation nRMSE")
    constant = optimiser_description({"patience": 0, "lr_patience": 1000})
    assert "constant rate" in constant and "no early stop" in constant


def _comparison(meshes="better", freestyle="better"):
    row = lambda verdict: {"verdict": verdict, "low": -0.01 if verdict == "better" else -0.002,  # noqa: E731
                           "high": -0.001 if verdict == "better" else 0.003, "drawings": 60}
    return {"synthetic": row("better"), "meshes": row(meshes), "freestyle": row(freestyle)}


@pytest.mark.parametrize("meshes, freestyle, refused", [
    ("better", "better", None),
    ("better", "no clear difference", "freestyle"),
    ("worse", "better", "meshes"),
])
def test_weights_ship_only_when_meshes_and_freestyle_both_say_better(meshes, freestyle, refused):
    from training.export_weights import gate
    if refused is None:
        gate(_comparison(meshes, freestyle))
        return
    with pytest.raises(SystemExit, match=f"not shipped: .*{refused}"):
        gate(_comparison(meshes, freestyle))


def test_a_comparison_without_the_freestyle_set_is_refused():
    from training.export_weights import gate
    with pytest.raises(SystemExit, match="no freestyle set"):
        gate({"meshes": _comparison()["meshes"]})


def test_a_gpu_windows_weights_ship_with_minutes_samples_recipe_and_comparison(tmp_path):
    from depthy_blender.models import weights
    from depthy_blender.models.depthy import Depthy, parameter_count
    from tests.training.loads import recorded_loads
    from training import gpu_run
    from training.export_weights import export_gpu_run
    run = tmp_path / "run"
    run.mkdir()
    model = Depthy()
    parts = gpu_run.write_parts(model.state_dict(), run)
    log = {"device": "cuda", "gpu": "NVIDIA H200", "torch": "2.11", "size": 256, "batch": 64, "bf16": True,
           "lr": 1e-4, "warmup": 50, "reuse": 4, "widths_weight": 0.5, "nearness": "figure widths",
           "first_seed": 30_000_000, "steps": 900, "samples": 57_600, "fresh": 14_400, "samples_per_s": 130.0,
           "wall_seconds": 540.0, "validation": {"nrmse": 0.12, "mask_iou": 0.97},
           "validation_parent": {"nrmse": 0.13, "mask_iou": 0.96}, "weights": parts,
           "recipe": {"generator": "training.synth.batch_views …", "losses": "training.losses.total, aligned"}}
    (run / "log.json").write_text(json.dumps(log))
    compare = tmp_path / "compare.json"
    compare.write_text(json.dumps(_comparison()))
    parent = tmp_path / "parent.json"
    parent.write_text(json.dumps({"name": "depthy-0.15.0", "training": {"samples_seen_total": 1_000,
                                                                      "wall_time_seconds_total": 100}}))
    with pytest.MonkeyPatch.context() as patch:
        loads = recorded_loads(patch)
        pt = export_gpu_run(run, compare, parent, out=tmp_path / "shipped")
    assert loads == [{"map_location": "cpu", "weights_only": True}]
    assert pt.parent == tmp_path / "shipped"                # never the add-on's own folder when told otherwise
    card = json.loads(pt.with_suffix(".json").read_text())
    assert card["parameters"] == parameter_count(model)
    assert set(card) == {"name", "architecture", "parameters", "precision", "data", "training", "inference",
                         "comparison", "file", "sha256", "size_bytes"}
    assert set(card["training"]) == {"losses", "optimiser", "hardware", "gpu_minutes", "samples_seen",
                                     "fresh_drawings", "steps", "samples_per_second", "batch", "reuse", "size",
                                     "precision_in_training", "samples_seen_total", "wall_time_seconds_total",
                                     "validation", "validation_parent", "started_from"}
    assert (card["name"], card["precision"]) == (weights.DEPTHY_NAME, "float16 (loaded as float32 on the CPU)")
    assert card["architecture"].startswith("Depthy: ResNet-50 encoder")
    t = card["training"]
    assert (t["fresh_drawings"], t["steps"], t["samples_per_second"], t["batch"], t["reuse"], t["size"]) == \
        (14_400, 900, 130.0, 64, 4, 256)
    assert t["losses"] == "training.losses.total, aligned (training.losses.total, widths weight 0.5)"
    assert t["optimiser"] == "AdamW (weight decay 1e-4), 0.0001 after a 50-step warm-up, constant"
    assert card["comparison"]["method"].startswith("training.compare_weights: per-drawing nRMSE")
    assert card["training"]["gpu_minutes"] == 9.0 and card["training"]["samples_seen"] == 57_600
    assert card["training"]["samples_seen_total"] == 58_600 and card["training"]["wall_time_seconds_total"] == 640
    assert "H200" in card["training"]["hardware"] and "batch_views" in card["data"]
    assert card["inference"]["nearness"] == "figure widths"
    assert card["training"]["validation"]["nrmse"] == 0.12 and card["training"]["validation_parent"]["nrmse"] == 0.13
    assert card["comparison"]["sets"]["freestyle"]["verdict"] == "better"
    assert card["sha256"] == weights.sha256(pt)
    state = torch.load(pt, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    alone = json.loads(export_gpu_run(run, compare, None, out=tmp_path / "alone").with_suffix(".json").read_text())
    assert alone["training"]["samples_seen_total"] == 57_600 and "started_from" not in alone["training"]
    compare.write_text(json.dumps(_comparison(freestyle="worse")))
    with pytest.raises(SystemExit, match="not shipped"):
        export_gpu_run(run, compare, parent, out=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def test_a_gpu_card_without_a_parent_counts_the_window_alone_and_names_what_it_ran_on():
    from training.export_weights import gpu_card
    log = {"device": "cpu", "torch": "2.13.0", "size": 128, "batch": 8, "bf16": False, "lr": 3e-5, "warmup": 10,
           "reuse": 2, "widths_weight": 0.0, "nearness": "unit range", "first_seed": 30_000_000, "steps": 5,
           "samples": 40, "fresh": 20, "samples_per_s": 1.5, "wall_seconds": 547.6,
           "validation": {"nrmse": 0.2}, "recipe": {"generator": "g", "losses": "l"}}
    card = gpu_card(log, 123, {"meshes": {}})
    t = card["training"]
    assert (t["samples_seen_total"], t["wall_time_seconds_total"], t["gpu_minutes"]) == (40, 547, 9.13)
    assert t["hardware"] == "cpu (training.gpu_run, torch 2.13.0)" and t["precision_in_training"] == "float32, channels-last"
    assert "started_from" not in t and "validation_parent" not in t
    assert card["parameters"] == 123 and card["inference"] == {"default_size": 256, "nearness": "unit range"}
    parent = {"name": "depthy-0.15.0", "training": {"samples_seen_total": 1_234_567, "wall_time_seconds_total": 89}}
    t = gpu_card(log | {"bf16": True, "gpu": "NVIDIA H100"}, 123, {}, parent)["training"]
    assert t["started_from"] == "depthy-0.15.0 (its 1,234,567 samples and 89 s are included in the totals)"
    assert t["hardware"].startswith("NVIDIA H100 (") and t["precision_in_training"].startswith("bfloat16")


def test_a_refusal_names_each_set_that_is_not_better_with_its_interval():
    from training.export_weights import gate
    with pytest.raises(SystemExit) as stop:
        gate(_comparison("worse", "no clear difference"))
    assert str(stop.value) == ("not shipped: no gain whose 95 % interval excludes 0 on meshes (worse, interval "
                               "[-0.0020, +0.0030]); freestyle (no clear difference, interval [-0.0020, +0.0030])")


def test_a_gpu_runs_weights_of_another_architecture_are_refused_naming_the_joined_file(tmp_path):
    from training import gpu_run
    from training.export_weights import export_gpu_run
    run = tmp_path / "run"
    run.mkdir()
    parts = gpu_run.write_parts({"head.weight": torch.zeros(3)}, run)
    (run / "log.json").write_text(json.dumps({"weights": parts}))
    compare = tmp_path / "compare.json"
    compare.write_text(json.dumps(_comparison()))
    with pytest.raises(SystemExit) as stop:
        export_gpu_run(run, compare, None, out=tmp_path / "shipped")
    assert str(stop.value).startswith(f"{run / 'depthy.pt'}: not weights of this Depthy (Missing key(s)")
    assert not (tmp_path / "shipped").exists()


def test_a_comparison_missing_both_gated_sets_names_both():
    from training.export_weights import gate
    with pytest.raises(SystemExit, match="the comparison has no meshes or freestyle set "):
        gate({"synthetic": {"verdict": "better"}})
