"""A client's script, written from the API docs alone: make a project, upload a zip of
images with COCO pre-annotations, watch the import, send it again (only duplicates),
export COCO and load it with pycocotools.

    python docs/examples/client.py http://127.0.0.1:8000 <api-key> images.zip coco.json
"""

import sys
import time

import requests
from pycocotools.coco import COCO

base, key, zip_path, coco_path = sys.argv[1:5]
api = requests.Session()
api.headers["Authorization"] = f"Token {key}"


def wait(url: str) -> dict:
    while (job := api.get(url).json())["status"] not in ("succeeded", "failed"):
        time.sleep(0.5)
    return job


schema = {"tools": ["bbox", "polygon", "keypoints", "classification"],
          "labels": [{"name": "car", "color": "#e6194b"}, {"name": "person", "color": "#3cb44b"},
                     {"name": "traffic_light", "color": "#4363d8"}],
          "keypoints": ["head", "left_hand", "right_hand"], "classes": ["day", "night"]}  # fmt: skip
project = api.post(f"{base}/api/v1/projects/", json={"name": "Street scenes", "label_schema": schema}).json()

for attempt in ("first", "again"):
    with open(zip_path, "rb") as images, open(coco_path, "rb") as coco:
        job = api.post(f"{base}/api/v1/projects/{project['id']}/imports/",
                       files={"files": images, "annotations": coco}).json()  # fmt: skip
    job = wait(f"{base}/api/v1/imports/{job['id']}/")
    print(attempt, {k: job[k] for k in ("accepted", "duplicates", "rejected")}, job["errors"])

export = api.post(
    f"{base}/api/v1/projects/{project['id']}/exports/", json={"format": "coco", "only_accepted": False}
).json()
export = wait(f"{base}/api/v1/exports/{export['id']}/")
with open("export.json", "wb") as out:
    out.write(api.get(f"{base}/api/v1/exports/{export['id']}/download/").content)
dataset = COCO("export.json")
print("exported", len(dataset.getImgIds()), "images,", len(dataset.getAnnIds()), "annotations")
