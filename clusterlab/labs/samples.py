"""Sample objects a learner can create with one button."""

from __future__ import annotations

SAMPLE_DEPLOYMENT_NAME = "web"
SAMPLE_NAMESPACE = "default"

SAMPLE_DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {SAMPLE_DEPLOYMENT_NAME}
  namespace: {SAMPLE_NAMESPACE}
  labels:
    app: web
spec:
  replicas: 6
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - containerPort: 80
          resources:
            requests:
              cpu: 250m
              memory: 128Mi
"""
