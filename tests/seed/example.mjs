const form = new FormData();
form.append("request_json", JSON.stringify({
name: "Archive corridor test",
project_mode: "scene",
screenplay: "Three-shot cinematic archive corridor sequence.",
instructions: "Keep the lead visually consistent and total runtime near 24 seconds.",
shot_count: 3,
scene_target_duration_seconds: 24,
video_model: "veo-3.1-fast-generate-001",
video_resolution: "720p"
}));
const submit = await fetch("https://fmv-studio-frontend-t7cat7yhuq-uc.a.run.app/api/agent/renders", {
method: "POST",
headers: {
"X-FVS-Agent-Key": "replace-with-your-managed-key"
},
body: form
});
const job = await submit.json();
const status = await fetch(job.status_url, {
headers: {
"X-FVS-Agent-Key": "replace-with-your-managed-key"
}
}).then((res) => res.json());
