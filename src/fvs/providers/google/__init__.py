"""Google models on Vertex AI (Gemini for text, images and speech; Veo for video).

Importing this package loads google-genai, so the rest of the studio imports it
only when a Google model is actually used.
"""
