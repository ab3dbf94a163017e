"""The child's side of an OCR job (see parsers/worker.py): a picture of a form in, its text boxes (with the engine's
score) and the table's ruling lines out, in the pixels of the straightened picture.

The engine is RapidOCR on onnxruntime (the optional extra `[ocr]`): its PP-OCR detection, direction and
recognition models ship inside the rapidocr_onnxruntime wheel and are loaded from there by path, so nothing is
downloaded, ever. Before recognition the picture is turned upright (EXIF), cut down to a sane size, straightened
(the skew of its long lines) and its table rules are found with OpenCV (long thin runs of dark pixels).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from parsers.limits import MAX_PAGE_RULES, JobFailed

MAX_PIXELS = 60_000_000
"""A picture with more pixels than this is refused before it is decoded (a phone photo has 12-50 million)."""
WORK_SIDE = 2000
"""The longest side the picture is scaled down to before anything else (about 170 dpi for an A4 page): the text
boxes are cut out of it for recognition."""
DETECT_SIDE = 1400
"""The longest side of the copy the text detector looks at (its memory grows with the pixels: about 350 MB here,
where 11 pt text is still 18 pixels high)."""


def engine_paths() -> dict[str, str]:
    """The models packaged in the rapidocr_onnxruntime wheel, by the engine's config keys."""
    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).resolve().parent / "models"
    return {
        "det_model_path": str(models / "ch_PP-OCRv4_det_infer.onnx"),
        "cls_model_path": str(models / "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
        "rec_model_path": str(models / "ch_PP-OCRv4_rec_infer.onnx"),
    }


def recognise(data: bytes, options: dict[str, Any]) -> dict[str, Any]:
    """{"width", "height", "angle", "words": [[x0, top, x1, bottom, text, score]], "rules": [[x0, top, x1, bottom]]}"""
    import numpy as np

    gray = _load(data)
    angle = _skew(gray)
    if abs(angle) >= 0.2:
        gray = _rotate(gray, angle)
    gray = _paper(gray)
    words = _words(np.ascontiguousarray(gray), int(options.get("threads", 2)))
    rules = _rules(gray, words)
    return {"width": gray.shape[1], "height": gray.shape[0], "angle": angle, "words": words, "rules": rules}


def _load(data: bytes) -> Any:
    """The picture as an upright 8-bit grey array, its longest side at most WORK_SIDE."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise JobFailed("too_large", f"the picture has {image.width}x{image.height} pixels")
            image.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEG: decode at a reduced scale straight away
            upright = ImageOps.exif_transpose(image).convert("L")
    except Image.DecompressionBombError as exc:
        raise JobFailed("too_large", str(exc)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise JobFailed("corrupt", f"the picture cannot be decoded: {exc}") from None
    scale = WORK_SIDE / max(upright.size)
    if scale < 1:
        size = (round(upright.width * scale), round(upright.height * scale))
        upright = upright.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(upright)


def _skew(gray: Any) -> float:
    """The picture's skew in degrees: the median angle of its long, nearly horizontal lines (0 when it has none)."""
    import cv2
    import numpy as np

    edges = cv2.Canny(gray, 50, 150)
    width = gray.shape[1]
    lines = cv2.HoughLinesP(edges, 1, np.pi / 1800, threshold=200, minLineLength=width // 4, maxLineGap=20)
    if lines is None:
        return 0.0
    angles = []
    for x0, y0, x1, y1 in lines.reshape(-1, 4):
        angle = math.degrees(math.atan2(float(y1 - y0), float(x1 - x0)))
        if abs(angle) <= 15:
            angles.append(angle)
    return float(np.median(angles)) if angles else 0.0


def _rotate(gray: Any, angle: float) -> Any:
    import cv2

    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _paper(gray: Any) -> Any:
    """The sheet of paper cut out of a photo (the biggest bright region, when it covers a third of the picture but
    not all of it), so the sheet's edge against the desk is never taken for a ruling line."""
    import cv2

    blurred = cv2.GaussianBlur(gray, (9, 9), 0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return gray
    x, y, w, h = cv2.boundingRect(max(contours, key=cv2.contourArea))
    height, width = gray.shape
    if w * h < 0.3 * width * height or (w >= width - 8 and h >= height - 8):
        return gray
    inset = max(4, min(w, h) // 100)
    return gray[y + inset : y + h - inset, x + inset : x + w - inset]


def _rules(gray: Any, words: list[list[Any]]) -> list[list[float]]:
    """Bounding boxes of long thin runs of dark pixels, horizontal and vertical, once the text found is blanked
    out (so no stroke of a character is taken for a rule): the table's ruling lines."""
    import cv2
    import numpy as np

    binary = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 25, -10)
    heights = [w[3] - w[1] for w in words]
    text_height = float(np.median(heights)) if heights else 20.0
    for x0, top, x1, bottom, *_ in words:  # the box less a margin: a rule it touches stays
        inset = 0.2 * (bottom - top)
        binary[int(top + inset) : int(bottom - inset) + 1, int(x0 + inset) : int(x1 - inset) + 1] = 0
    width = gray.shape[1]
    out: list[list[float]] = []
    for kernel in ((max(30, width // 30), 1), (1, max(8, int(0.6 * text_height)))):
        element = cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
        mask = cv2.morphologyEx(binary, cv2.MORPH_OPEN, element)
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            out.append([float(x), float(y), float(x + w), float(y + h)])
    out.sort(key=lambda r: max(r[2] - r[0], r[3] - r[1]), reverse=True)
    return out[:MAX_PAGE_RULES]  # the longest: a noisy photo's specks never crowd out the table


def _words(gray: Any, threads: int) -> list[list[Any]]:
    """Text boxes found on a smaller copy, read from the full picture; each box's score is the lowest of its
    characters' (the engine's own score is their mean, which hides one doubtful character in a long line).

    The engine's steps are called one by one (detector, crops, recogniser; the direction classifier is left out:
    EXIF has turned the picture upright) because its one-call API detects and reads on the same picture and
    returns only the mean score."""
    import cv2
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(**engine_paths(), intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    scale = min(1.0, DETECT_SIDE / max(image.shape[:2]))
    small = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    boxes, _ = engine.auto_text_det(small)
    if boxes is None or len(boxes) == 0:
        return []
    boxes = (np.asarray(boxes, dtype=np.float32) / scale).astype(np.float32)
    crops = engine.get_crop_img_list(image, boxes)
    results, _ = engine.text_rec(crops, True)
    words: list[list[Any]] = []
    for box, (text, mean, *info) in zip(boxes, results, strict=True):
        chars = info[0][4] if info and len(info[0]) > 4 and info[0][4] else [mean]
        xs, ys = box[:, 0], box[:, 1]
        words.append([float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), str(text),
                      float(min(chars))])
    return words
