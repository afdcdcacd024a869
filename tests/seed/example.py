import json
import requests
BASE_URL = "https://fmv-studio-frontend-t7cat7yhuq-uc.a.run.app"
AGENT_KEY = "replace-with-your-managed-key"
request_payload = {
"name": "Archive corridor test",
"project_mode": "scene",
"screenplay": "Shot 1: A young woman enters a glowing archive corridor lined with suspended photographs. Shot 2: She reaches toward one moving photograph and the corridor bends into a luminous tunnel around her. Shot 3: She steps through the tunnel and arrives in a sunlit memory chamber as the photographs orbit overhead.",
"instructions": "Create exactly three cinematic shots totaling about 24 seconds.",
"shot_count": 3,
"scene_target_duration_seconds": 24,
"video_model": "veo-3.1-fast-generate-001",
"video_resolution": "720p",
"stage_voice_briefs_enabled": False,
}
response = requests.post(
f"{BASE_URL}/api/agent/renders",
headers={"X-FVS-Agent-Key": AGENT_KEY},
files={"request_json": (None, json.dumps(request_payload))},
timeout=300,
)
response.raise_for_status()
job = response.json()
while True:
    status_response = requests.get(job["status_url"], headers={"X-FVS-Agent-Key": AGENT_KEY}, timeout=120)
    status_response.raise_for_status()
    status = status_response.json()
    if status["status"] == "completed":
        print("Video ready:", status["final_video_url"])
        break
    if status["status"] == "failed":
        raise RuntimeError(status.get("last_error") or "Render failed")
