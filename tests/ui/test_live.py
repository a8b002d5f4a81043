"""The Live panel: each frame's top-5 and maps equal a plain forward pass on the decoded frame,
frames are dropped and counted when the network is slower than the video, pause, step and
loop, pausing keeps the frame as the photo, stable and per-frame levels, bad input, a model
switch while playing, a clean exit, and an event loop that stays responsive."""
from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from cnnviz import images, inference, live, zoo
from cnnviz.ui.live_panel import NO_CAMERA
from cnnviz.ui.main_window import MainWindow

TIMEOUT = 60_000
SIZE = (96, 72)  # width, height of the test videos' frames


def write_video(path, count: int, fps: float = 10.0) -> str:
    """An FFV1 (lossless) .mkv of ``count`` frames: the sample photos in turn, each frame
    marked with its number so that no two are alike."""
    photos = [np.array(Image.open(p).convert("RGB").resize(SIZE)) for p in images.sample_images()]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, SIZE)
    assert writer.isOpened()
    for index in range(count):
        frame = photos[index % len(photos)].copy()
        frame[:4, :4 * (index + 1)] = 255
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


def decoded(path: str) -> list[np.ndarray]:
    """The video's frames as OpenCV decodes them, RGB: what the app must have run."""
    capture, frames = cv2.VideoCapture(path), []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))


@pytest.fixture
def clip(tmp_path) -> str:
    return write_video(tmp_path / "clip.mkv", 6)


def wait_for_frame_photo(qtbot, window) -> None:
    """Until the player has paused (or ended) and its last frame is the photo."""
    qtbot.waitUntil(lambda: window.photo.photo is not None
                    and window.photo.photo.label.startswith("frame ")
                    and not window.live.playing() and not window.worker.is_busy(),
                    timeout=TIMEOUT)


def record_frames(live_controller) -> list:
    """Each frame drawn: its LiveFrame, the bars and the tiles' images as drawn then."""
    seen = []
    live_controller.sigFrameShown.connect(lambda _index: seen.append(
        (live_controller.last, live_controller.panel.predictions.bars(),
         [tile.image.copy() for tile in live_controller.panel.tiles()],
         live_controller.panel.shown_levels())))
    return seen


def test_each_frame_shows_the_top5_and_maps_of_a_plain_forward_pass(qtbot, window, clip):
    window.session.select("layer1_0_conv2")
    seen = record_frames(window.live)
    window.live.open(clip)
    wait_for_frame_photo(qtbot, window)
    frames = decoded(clip)
    loaded = window.session.loaded
    model, categories = loaded.model.eval(), zoo.categories(loaded.spec)
    hooked = {}
    model.layer1[0].conv2.register_forward_hook(lambda m, i, o: hooked.update(out=o.detach()))
    assert seen and seen[-1][0].result.index == len(frames) - 1
    for frame, bars, tiles, _levels in seen:
        index = frame.result.index
        assert np.array_equal(frame.frame, frames[index])
        prepared = inference.prepare(Image.fromarray(frames[index]), loaded.spec.preprocessing)
        assert np.array_equal(frame.result.shown, prepared.shown)
        with torch.no_grad():
            top = torch.topk(torch.softmax(model(prepared.tensor), 1)[0], 5)
        assert [label for label, _ in bars] == [categories[i] for i in top.indices.tolist()]
        assert np.allclose([prob for _, prob in bars], top.values.numpy(), atol=1e-5)
        assert len(tiles) == 16
        for channel, image in enumerate(tiles):
            assert np.allclose(image, hooked["out"][0, channel].numpy(), atol=1e-4)
    status = window.live.panel.status.text()
    assert "fps" in status and "ms per frame" in status and "dropped" in status


def test_frames_the_network_cannot_keep_up_with_are_dropped_and_counted(qtbot, window,
                                                                        tmp_path, monkeypatch):
    run = live.LiveRunner.run

    def slow_run(self, *args, **kwargs):  # a network far slower than 40 frames a second
        time.sleep(0.15)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(live.LiveRunner, "run", slow_run)
    path = write_video(tmp_path / "fast.mkv", 12, fps=40.0)
    window.live.open(path)
    wait_for_frame_photo(qtbot, window)
    dropped = window.live.slot.dropped
    assert dropped > 0
    assert window.live.shown + dropped == 12  # every frame read was shown or dropped
    assert window.live.last.result.index == 11  # the last frame always runs
    assert f"{dropped} dropped" in window.live.panel.status.text()


def test_pause_stops_frames_and_step_shows_exactly_the_next_one(qtbot, window, tmp_path):
    path = write_video(tmp_path / "long.mkv", 40)
    live_controller, panel = window.live, window.live.panel
    live_controller.open(path)
    qtbot.waitUntil(lambda: live_controller.shown >= 2, timeout=TIMEOUT)
    panel.play.click()  # pause
    wait_for_frame_photo(qtbot, window)
    shown, index = live_controller.shown, live_controller.last.result.index
    qtbot.wait(400)  # four frames' time at the video's rate
    assert live_controller.shown == shown
    assert window.photo.photo.label == f"frame {index} of long.mkv"
    with qtbot.waitSignal(live_controller.sigFrameShown, timeout=TIMEOUT) as stepped:
        panel.step.click()
    assert stepped.args == [live_controller.player.index]
    qtbot.waitUntil(lambda: window.photo.photo.label == f"frame {stepped.args[0]} of long.mkv",
                    timeout=TIMEOUT)
    qtbot.wait(300)
    assert live_controller.shown == shown + 1 and not live_controller.playing()
    panel.setFocus()  # the keys work while the panel has the focus
    with qtbot.waitSignal(live_controller.sigFrameShown, timeout=TIMEOUT) as keyed:
        QTest.keyClick(panel, Qt.Key.Key_Right)
    assert keyed.args == [stepped.args[0] + 1]
    QTest.keyClick(panel, Qt.Key.Key_Space)
    assert live_controller.playing() and panel.play.isChecked()
    QTest.keyClick(panel, Qt.Key.Key_Space)
    assert not live_controller.playing()


def test_loop_starts_again_after_the_last_frame(qtbot, window, tmp_path):
    path = write_video(tmp_path / "short.mkv", 3, fps=20.0)
    indices = []
    window.live.sigFrameShown.connect(indices.append)
    window.live.panel.loop.setChecked(True)
    window.live.open(path)
    qtbot.waitUntil(lambda: any(b < a for a, b in zip(indices, indices[1:])), timeout=TIMEOUT)
    assert window.live.playing()
    window.live.pause()
    assert set(indices) <= {0, 1, 2}


def test_the_paused_frame_is_the_photo_for_every_still_photo_view(qtbot, window, clip):
    window.live.open(clip)
    wait_for_frame_photo(qtbot, window)
    last, photo = window.live.last, window.photo.photo
    assert photo.label == f"frame {last.result.index} of clip.mkv"
    assert np.array_equal(photo.prepared.shown, last.result.shown)
    assert [p.index for p in photo.result.top] == [p.index for p in last.result.top]
    assert np.allclose([p.prob for p in photo.result.top], [p.prob for p in last.result.top],
                       atol=1e-5)
    with qtbot.waitSignal(window.photo.sigMapsShown, timeout=TIMEOUT):
        window.session.select("layer2_0_conv1")  # any layer's maps, from the still path
    window.photo.input_panel.gradcam.setChecked(True)
    with qtbot.waitSignal(window.photo.sigGradCamShown, timeout=TIMEOUT):
        window.session.select("layer4_1_conv2")


@pytest.mark.parametrize("stable", [True, False])
def test_levels_stable_across_frames_or_per_frame(qtbot, window, clip, stable):
    window.session.select("layer1_0_conv2")
    window.live.panel.set_levels_stable(stable)
    seen = record_frames(window.live)
    window.live.open(clip)
    wait_for_frame_photo(qtbot, window)
    assert len(seen) >= 2
    lows, highs = [], []
    for frame, _bars, tiles, levels in seen:
        values = frame.result.maps.maps
        lows.append(float(values.min()))
        highs.append(float(values.max()))
        expected = (min(lows), max(highs)) if stable else (lows[-1], highs[-1])
        assert np.allclose(levels, expected)
    assert np.allclose(window.live.panel.tiles()[0].getLevels(), seen[-1][3])
    if stable:
        assert min(lows) < max(lows) or max(highs) > min(highs)  # the range did move


def test_grad_cam_is_laid_over_the_frame_when_ticked(qtbot, window, clip):
    window.session.select("layer4_1_conv2")
    window.live.panel.gradcam.setChecked(True)
    seen = record_frames(window.live)
    window.live.open(clip)
    wait_for_frame_photo(qtbot, window)
    heat = seen[-1][0].result.heat
    assert heat is not None and heat.shape == seen[-1][0].result.shown.shape[:2]
    assert 0 <= heat.min() and heat.max() <= 1


def test_frames_run_on_the_timing_panels_device_and_precision(qtbot, window, clip,
                                                            monkeypatch):
    made = []
    init = live.LiveRunner.__init__

    def recorded(self, loaded, device="cpu", dtype="fp32"):
        made.append((loaded, device, dtype))
        init(self, loaded, device, dtype)

    monkeypatch.setattr(live.LiveRunner, "__init__", recorded)
    dtype = window.timing.panel.dtype
    qtbot.waitUntil(lambda: dtype.findData("bf16") >= 0, timeout=TIMEOUT)
    dtype.setCurrentIndex(dtype.findData("bf16"))
    window.live.open(clip)
    wait_for_frame_photo(qtbot, window)
    assert made == [(window.session.loaded, "cpu", "bf16")]  # made once, kept for every frame
    assert window.live.shown >= 2
    assert next(window.session.loaded.model.parameters()).dtype == torch.float32  # untouched


def truncated_video(tmp_path) -> str:
    path = tmp_path / "cut.mkv"
    write_video(path, 30)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])
    return str(path)


@pytest.mark.parametrize("bad", ["random_bytes", "truncated", "camera", "missing"])
def test_bad_input_is_one_line_and_changes_nothing(qtbot, window, tmp_path, bad):
    window.show_live()
    before = (window.photo.photo, window.session.loaded, window.session.diagram,
              window.photo.predictions.bars())
    if bad == "random_bytes":
        source = tmp_path / "noise.mp4"
        source.write_bytes(np.random.default_rng(0).bytes(20000))
    elif bad == "truncated":
        source = truncated_video(tmp_path)
    elif bad == "camera":
        source = "camera:0"
    else:
        source = tmp_path / "nowhere.mkv"
    window.live.open(str(source))
    qtbot.waitUntil(lambda: window.error.text() != "" and not window.live.playing()
                    and not window.worker.is_busy(), timeout=TIMEOUT)
    message = window.live.panel.message.text()
    assert message and "\n" not in message and window.error.text() == message
    if bad == "camera":
        assert message == "⚠ no camera found"
        qtbot.waitUntil(lambda: window.live.panel.cameras.currentText() != "Looking for cameras…",
                        timeout=TIMEOUT)  # the search runs on a thread of its own
        assert window.live.panel.cameras.currentText() == NO_CAMERA
        assert not window.live.panel.cameras.model().item(0).isEnabled()
    else:
        assert str(source).rsplit("/", 1)[-1] in message
    assert (window.photo.photo, window.session.loaded, window.session.diagram,
            window.photo.predictions.bars()) == before


def test_a_model_switch_while_playing_draws_only_the_current_models_frames(qtbot, window,
                                                                          tmp_path):
    path = write_video(tmp_path / "long.mkv", 200, fps=20.0)
    drawn = []
    window.live.sigFrameShown.connect(
        lambda _index: drawn.append((window.live.last.model, window.session.loaded)))
    window.live.open(path)
    qtbot.waitUntil(lambda: window.live.shown >= 1, timeout=TIMEOUT)
    window.request_model("alexnet")
    qtbot.waitUntil(lambda: window.session.loaded.spec.name == "alexnet"
                    and drawn[-1][0].spec.name == "alexnet", timeout=TIMEOUT)
    window.live.pause()
    assert window.live.player is not None
    assert all(model is current for model, current in drawn)
    assert {model.spec.name for model, _ in drawn} == {"resnet18", "alexnet"}


def capture_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("capture ") and t.is_alive()]


def test_closing_the_window_ends_the_capture_thread_and_the_worker(qtbot, settings, tmp_path):
    window = MainWindow(settings=settings, model="resnet18")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.photo.photo is not None, timeout=TIMEOUT)
    window.live.open(write_video(tmp_path / "long.mkv", 200))
    qtbot.waitUntil(lambda: window.live.shown >= 1, timeout=TIMEOUT)
    assert capture_threads()
    window.close()
    assert capture_threads() == []
    assert not window.worker.is_alive()


def test_the_event_loop_stays_responsive_while_a_video_plays(qtbot, window, tmp_path):
    window.session.select("layer1_0_conv2")
    window.live.panel.loop.setChecked(True)
    window.live.open(write_video(tmp_path / "clip.mkv", 10, fps=25.0))
    qtbot.waitUntil(lambda: window.live.shown >= 1, timeout=TIMEOUT)
    ticks = []
    timer = QTimer(interval=10)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    shown = window.live.shown
    timer.start()
    qtbot.wait(2000)
    timer.stop()
    window.live.pause()
    assert window.live.shown - shown >= 5  # the video did play meanwhile
    lateness_ms = (np.diff(ticks) - 0.010) * 1000
    assert lateness_ms.max() <= 50, f"the event loop was {lateness_ms.max():.0f} ms late"


def test_from_map_pages_through_the_layers_maps_even_while_paused(qtbot, window, clip):
    window.session.select("layer1_0_conv2")  # 64 maps
    seen = record_frames(window.live)
    window.live.open(clip)
    wait_for_frame_photo(qtbot, window)
    loaded = window.session.loaded
    hooked = {}
    loaded.model.eval().layer1[0].conv2.register_forward_hook(
        lambda m, i, o: hooked.update(out=o.detach()))
    last = decoded(clip)[seen[-1][0].result.index]
    prepared = inference.prepare(Image.fromarray(last), loaded.spec.preprocessing)
    with torch.no_grad():
        loaded.model(prepared.tensor)
    panel = window.live.panel
    levels = panel.shown_levels()
    panel.first_map.setValue(49)  # paused at the end: the last frame's maps are drawn again
    tiles = [tile.image for tile in panel.tiles()]
    assert len(tiles) == 16
    for offset, image in enumerate(tiles):
        assert np.allclose(image, hooked["out"][0, 48 + offset].numpy(), atol=1e-4)
    assert "maps 49–64 of 64" in panel.maps_caption.text()
    assert np.allclose(panel.shown_levels(), levels)  # the range is the whole layer's
    panel.first_map.setValue(panel.first_map.maximum())
    assert len(panel.tiles()) == 1 and "map 64 of 64" in panel.maps_caption.text()
