"""The Learn Kubernetes Basics tutorial's app (gcr.io/google-samples/kubernetes-bootcamp:v1 and
docker.io/jocatalin/kubernetes-bootcamp:v2), run as `python3 -m kubesim.standins.bootcamp`."""
