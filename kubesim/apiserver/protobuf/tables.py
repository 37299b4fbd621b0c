"""Field tables of the Kubernetes protobuf messages kubesim decodes (data, generated).

Protobuf field numbers never change once assigned, so old descriptors stay correct for the
fields they know. core/v1, meta/v1, intstr, resource and runtime were extracted from the
serialized descriptors of the `k8s-proto` 0.0.3 package (PyPI, generated from the
Kubernetes `generated.proto` files); apps/v1 Deployment and autoscaling v1/v2
HorizontalPodAutoscaler tables were added by hand and checked against the
`protobuf:"...,N,..."` struct tags in the kubectl 1.37 binary. ConfigMap/Secret
`immutable` were added likewise. batch/v1 (Job, CronJob and their specs, statuses,
PodFailurePolicy, SuccessPolicy), rbac.authorization.k8s.io/v1 (Role, ClusterRole,
RoleBinding, ClusterRoleBinding, PolicyRule, Subject, RoleRef, AggregationRule), policy/v1
PodDisruptionBudget and meta/v1 Condition are in `_BATCH_RBAC_POLICY` below, written by
hand with the field numbers of the kubectl 1.37 binary's struct tags (k8s-proto 0.0.3 has
only core and apimachinery). Fields missing here are skipped when decoding.

Shape: message full name -> {"f": {number: [name, type, label, type_name]}, "map": bool};
types and labels are descriptor.proto's (9 string, 11 message, 12 bytes, 3 repeated...).
"""

import json

TABLES = json.loads(
    '{"k8s.io.api.apps.v1.Deployment":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.'
    'meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.apps.v1.DeploymentSpec"]}},"k8s.io.api.a'
    'pps.v1.DeploymentSpec":{"f":{"1":["replicas",5,1,""],"2":["selector",11,1,"k8s.io.apimachi'
    'nery.pkg.apis.meta.v1.LabelSelector"],"3":["template",11,1,"k8s.io.api.core.v1.PodTemplate'
    'Spec"],"4":["strategy",11,1,"k8s.io.api.apps.v1.DeploymentStrategy"],"5":["minReadySeconds'
    '",5,1,""],"6":["revisionHistoryLimit",5,1,""],"7":["paused",8,1,""],"9":["progressDeadline'
    'Seconds",5,1,""]}},"k8s.io.api.apps.v1.DeploymentStrategy":{"f":{"1":["type",9,1,""],"2":['
    '"rollingUpdate",11,1,"k8s.io.api.apps.v1.RollingUpdateDeployment"]}},"k8s.io.api.apps.v1.R'
    'ollingUpdateDeployment":{"f":{"1":["maxUnavailable",11,1,"k8s.io.apimachinery.pkg.util.int'
    'str.IntOrString"],"2":["maxSurge",11,1,"k8s.io.apimachinery.pkg.util.intstr.IntOrString"]}'
    '},"k8s.io.api.autoscaling.v1.CrossVersionObjectReference":{"f":{"1":["kind",9,1,""],"2":["'
    'name",9,1,""],"3":["apiVersion",9,1,""]}},"k8s.io.api.autoscaling.v1.HorizontalPodAutoscal'
    'er":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["sp'
    'ec",11,1,"k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec"]}},"k8s.io.api.autoscalin'
    'g.v1.HorizontalPodAutoscalerSpec":{"f":{"1":["scaleTargetRef",11,1,"k8s.io.api.autoscaling'
    '.v1.CrossVersionObjectReference"],"2":["minReplicas",5,1,""],"3":["maxReplicas",5,1,""],"4'
    '":["targetCPUUtilizationPercentage",5,1,""]}},"k8s.io.api.autoscaling.v2.CrossVersionObjec'
    'tReference":{"f":{"1":["kind",9,1,""],"2":["name",9,1,""],"3":["apiVersion",9,1,""]}},"k8s'
    '.io.api.autoscaling.v2.HorizontalPodAutoscaler":{"f":{"1":["metadata",11,1,"k8s.io.apimach'
    'inery.pkg.apis.meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.autoscaling.v2.Horizontal'
    'PodAutoscalerSpec"]}},"k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerSpec":{"f":{"1":["'
    'scaleTargetRef",11,1,"k8s.io.api.autoscaling.v2.CrossVersionObjectReference"],"2":["minRep'
    'licas",5,1,""],"3":["maxReplicas",5,1,""],"4":["metrics",11,3,"k8s.io.api.autoscaling.v2.M'
    'etricSpec"]}},"k8s.io.api.autoscaling.v2.MetricSpec":{"f":{"1":["type",9,1,""],"4":["resou'
    'rce",11,1,"k8s.io.api.autoscaling.v2.ResourceMetricSource"]}},"k8s.io.api.autoscaling.v2.M'
    'etricTarget":{"f":{"1":["type",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.reso'
    'urce.Quantity"],"3":["averageValue",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"],'
    '"4":["averageUtilization",5,1,""]}},"k8s.io.api.autoscaling.v2.ResourceMetricSource":{"f":'
    '{"1":["name",9,1,""],"2":["target",11,1,"k8s.io.api.autoscaling.v2.MetricTarget"]}},"k8s.i'
    'o.api.core.v1.AWSElasticBlockStoreVolumeSource":{"f":{"1":["volumeID",9,1,""],"2":["fsType'
    '",9,1,""],"3":["partition",5,1,""],"4":["readOnly",8,1,""]}},"k8s.io.api.core.v1.Affinity"'
    ':{"f":{"1":["nodeAffinity",11,1,"k8s.io.api.core.v1.NodeAffinity"],"2":["podAffinity",11,1'
    ',"k8s.io.api.core.v1.PodAffinity"],"3":["podAntiAffinity",11,1,"k8s.io.api.core.v1.PodAnti'
    'Affinity"]}},"k8s.io.api.core.v1.AttachedVolume":{"f":{"1":["name",9,1,""],"2":["devicePat'
    'h",9,1,""]}},"k8s.io.api.core.v1.AvoidPods":{"f":{"1":["preferAvoidPods",11,3,"k8s.io.api.'
    'core.v1.PreferAvoidPodsEntry"]}},"k8s.io.api.core.v1.AzureDiskVolumeSource":{"f":{"1":["di'
    'skName",9,1,""],"2":["diskURI",9,1,""],"3":["cachingMode",9,1,""],"4":["fsType",9,1,""],"5'
    '":["readOnly",8,1,""],"6":["kind",9,1,""]}},"k8s.io.api.core.v1.AzureFilePersistentVolumeS'
    'ource":{"f":{"1":["secretName",9,1,""],"2":["shareName",9,1,""],"3":["readOnly",8,1,""],"4'
    '":["secretNamespace",9,1,""]}},"k8s.io.api.core.v1.AzureFileVolumeSource":{"f":{"1":["secr'
    'etName",9,1,""],"2":["shareName",9,1,""],"3":["readOnly",8,1,""]}},"k8s.io.api.core.v1.Bin'
    'ding":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["'
    'target",11,1,"k8s.io.api.core.v1.ObjectReference"]}},"k8s.io.api.core.v1.CSIPersistentVolu'
    'meSource":{"f":{"1":["driver",9,1,""],"2":["volumeHandle",9,1,""],"3":["readOnly",8,1,""],'
    '"4":["fsType",9,1,""],"5":["volumeAttributes",11,3,"k8s.io.api.core.v1.CSIPersistentVolume'
    'Source.VolumeAttributesEntry"],"6":["controllerPublishSecretRef",11,1,"k8s.io.api.core.v1.'
    'SecretReference"],"7":["nodeStageSecretRef",11,1,"k8s.io.api.core.v1.SecretReference"],"8"'
    ':["nodePublishSecretRef",11,1,"k8s.io.api.core.v1.SecretReference"]}},"k8s.io.api.core.v1.'
    'CSIPersistentVolumeSource.VolumeAttributesEntry":{"f":{"1":["key",9,1,""],"2":["value",9,1'
    ',""]},"map":true},"k8s.io.api.core.v1.CSIVolumeSource":{"f":{"1":["driver",9,1,""],"2":["r'
    'eadOnly",8,1,""],"3":["fsType",9,1,""],"4":["volumeAttributes",11,3,"k8s.io.api.core.v1.CS'
    'IVolumeSource.VolumeAttributesEntry"],"5":["nodePublishSecretRef",11,1,"k8s.io.api.core.v1'
    '.LocalObjectReference"]}},"k8s.io.api.core.v1.CSIVolumeSource.VolumeAttributesEntry":{"f":'
    '{"1":["key",9,1,""],"2":["value",9,1,""]},"map":true},"k8s.io.api.core.v1.Capabilities":{"'
    'f":{"1":["add",9,3,""],"2":["drop",9,3,""]}},"k8s.io.api.core.v1.CephFSPersistentVolumeSou'
    'rce":{"f":{"1":["monitors",9,3,""],"2":["path",9,1,""],"3":["user",9,1,""],"4":["secretFil'
    'e",9,1,""],"5":["secretRef",11,1,"k8s.io.api.core.v1.SecretReference"],"6":["readOnly",8,1'
    ',""]}},"k8s.io.api.core.v1.CephFSVolumeSource":{"f":{"1":["monitors",9,3,""],"2":["path",9'
    ',1,""],"3":["user",9,1,""],"4":["secretFile",9,1,""],"5":["secretRef",11,1,"k8s.io.api.cor'
    'e.v1.LocalObjectReference"],"6":["readOnly",8,1,""]}},"k8s.io.api.core.v1.CinderPersistent'
    'VolumeSource":{"f":{"1":["volumeID",9,1,""],"2":["fsType",9,1,""],"3":["readOnly",8,1,""],'
    '"4":["secretRef",11,1,"k8s.io.api.core.v1.SecretReference"]}},"k8s.io.api.core.v1.CinderVo'
    'lumeSource":{"f":{"1":["volumeID",9,1,""],"2":["fsType",9,1,""],"3":["readOnly",8,1,""],"4'
    '":["secretRef",11,1,"k8s.io.api.core.v1.LocalObjectReference"]}},"k8s.io.api.core.v1.Clien'
    'tIPConfig":{"f":{"1":["timeoutSeconds",5,1,""]}},"k8s.io.api.core.v1.ComponentCondition":{'
    '"f":{"1":["type",9,1,""],"2":["status",9,1,""],"3":["message",9,1,""],"4":["error",9,1,""]'
    '}},"k8s.io.api.core.v1.ComponentStatus":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pk'
    'g.apis.meta.v1.ObjectMeta"],"2":["conditions",11,3,"k8s.io.api.core.v1.ComponentCondition"'
    ']}},"k8s.io.api.core.v1.ComponentStatusList":{"f":{"1":["metadata",11,1,"k8s.io.apimachine'
    'ry.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.ComponentStatus"]}},"'
    'k8s.io.api.core.v1.ConfigMap":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.met'
    'a.v1.ObjectMeta"],"2":["data",11,3,"k8s.io.api.core.v1.ConfigMap.DataEntry"],"3":["binaryD'
    'ata",11,3,"k8s.io.api.core.v1.ConfigMap.BinaryDataEntry"],"4":["immutable",8,1,""]}},"k8s.'
    'io.api.core.v1.ConfigMap.BinaryDataEntry":{"f":{"1":["key",9,1,""],"2":["value",12,1,""]},'
    '"map":true},"k8s.io.api.core.v1.ConfigMap.DataEntry":{"f":{"1":["key",9,1,""],"2":["value"'
    ',9,1,""]},"map":true},"k8s.io.api.core.v1.ConfigMapEnvSource":{"f":{"1":["localObjectRefer'
    'ence",11,1,"k8s.io.api.core.v1.LocalObjectReference"],"2":["optional",8,1,""]}},"k8s.io.ap'
    'i.core.v1.ConfigMapKeySelector":{"f":{"1":["localObjectReference",11,1,"k8s.io.api.core.v1'
    '.LocalObjectReference"],"2":["key",9,1,""],"3":["optional",8,1,""]}},"k8s.io.api.core.v1.C'
    'onfigMapList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],'
    '"2":["items",11,3,"k8s.io.api.core.v1.ConfigMap"]}},"k8s.io.api.core.v1.ConfigMapNodeConfi'
    'gSource":{"f":{"1":["namespace",9,1,""],"2":["name",9,1,""],"3":["uid",9,1,""],"4":["resou'
    'rceVersion",9,1,""],"5":["kubeletConfigKey",9,1,""]}},"k8s.io.api.core.v1.ConfigMapProject'
    'ion":{"f":{"1":["localObjectReference",11,1,"k8s.io.api.core.v1.LocalObjectReference"],"2"'
    ':["items",11,3,"k8s.io.api.core.v1.KeyToPath"],"4":["optional",8,1,""]}},"k8s.io.api.core.'
    'v1.ConfigMapVolumeSource":{"f":{"1":["localObjectReference",11,1,"k8s.io.api.core.v1.Local'
    'ObjectReference"],"2":["items",11,3,"k8s.io.api.core.v1.KeyToPath"],"3":["defaultMode",5,1'
    ',""],"4":["optional",8,1,""]}},"k8s.io.api.core.v1.Container":{"f":{"1":["name",9,1,""],"1'
    '0":["livenessProbe",11,1,"k8s.io.api.core.v1.Probe"],"11":["readinessProbe",11,1,"k8s.io.a'
    'pi.core.v1.Probe"],"12":["lifecycle",11,1,"k8s.io.api.core.v1.Lifecycle"],"13":["terminati'
    'onMessagePath",9,1,""],"14":["imagePullPolicy",9,1,""],"15":["securityContext",11,1,"k8s.i'
    'o.api.core.v1.SecurityContext"],"16":["stdin",8,1,""],"17":["stdinOnce",8,1,""],"18":["tty'
    '",8,1,""],"19":["envFrom",11,3,"k8s.io.api.core.v1.EnvFromSource"],"2":["image",9,1,""],"2'
    '0":["terminationMessagePolicy",9,1,""],"21":["volumeDevices",11,3,"k8s.io.api.core.v1.Volu'
    'meDevice"],"3":["command",9,3,""],"4":["args",9,3,""],"5":["workingDir",9,1,""],"6":["port'
    's",11,3,"k8s.io.api.core.v1.ContainerPort"],"7":["env",11,3,"k8s.io.api.core.v1.EnvVar"],"'
    '8":["resources",11,1,"k8s.io.api.core.v1.ResourceRequirements"],"9":["volumeMounts",11,3,"'
    'k8s.io.api.core.v1.VolumeMount"]}},"k8s.io.api.core.v1.ContainerImage":{"f":{"1":["names",'
    '9,3,""],"2":["sizeBytes",3,1,""]}},"k8s.io.api.core.v1.ContainerPort":{"f":{"1":["name",9,'
    '1,""],"2":["hostPort",5,1,""],"3":["containerPort",5,1,""],"4":["protocol",9,1,""],"5":["h'
    'ostIP",9,1,""]}},"k8s.io.api.core.v1.ContainerState":{"f":{"1":["waiting",11,1,"k8s.io.api'
    '.core.v1.ContainerStateWaiting"],"2":["running",11,1,"k8s.io.api.core.v1.ContainerStateRun'
    'ning"],"3":["terminated",11,1,"k8s.io.api.core.v1.ContainerStateTerminated"]}},"k8s.io.api'
    '.core.v1.ContainerStateRunning":{"f":{"1":["startedAt",11,1,"k8s.io.apimachinery.pkg.apis.'
    'meta.v1.Time"]}},"k8s.io.api.core.v1.ContainerStateTerminated":{"f":{"1":["exitCode",5,1,"'
    '"],"2":["signal",5,1,""],"3":["reason",9,1,""],"4":["message",9,1,""],"5":["startedAt",11,'
    '1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"6":["finishedAt",11,1,"k8s.io.apimachinery'
    '.pkg.apis.meta.v1.Time"],"7":["containerID",9,1,""]}},"k8s.io.api.core.v1.ContainerStateWa'
    'iting":{"f":{"1":["reason",9,1,""],"2":["message",9,1,""]}},"k8s.io.api.core.v1.ContainerS'
    'tatus":{"f":{"1":["name",9,1,""],"2":["state",11,1,"k8s.io.api.core.v1.ContainerState"],"3'
    '":["lastState",11,1,"k8s.io.api.core.v1.ContainerState"],"4":["ready",8,1,""],"5":["restar'
    'tCount",5,1,""],"6":["image",9,1,""],"7":["imageID",9,1,""],"8":["containerID",9,1,""]}},"'
    'k8s.io.api.core.v1.DaemonEndpoint":{"f":{"1":["Port",5,1,""]}},"k8s.io.api.core.v1.Downwar'
    'dAPIProjection":{"f":{"1":["items",11,3,"k8s.io.api.core.v1.DownwardAPIVolumeFile"]}},"k8s'
    '.io.api.core.v1.DownwardAPIVolumeFile":{"f":{"1":["path",9,1,""],"2":["fieldRef",11,1,"k8s'
    '.io.api.core.v1.ObjectFieldSelector"],"3":["resourceFieldRef",11,1,"k8s.io.api.core.v1.Res'
    'ourceFieldSelector"],"4":["mode",5,1,""]}},"k8s.io.api.core.v1.DownwardAPIVolumeSource":{"'
    'f":{"1":["items",11,3,"k8s.io.api.core.v1.DownwardAPIVolumeFile"],"2":["defaultMode",5,1,"'
    '"]}},"k8s.io.api.core.v1.EmptyDirVolumeSource":{"f":{"1":["medium",9,1,""],"2":["sizeLimit'
    '",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]}},"k8s.io.api.core.v1.EndpointAddr'
    'ess":{"f":{"1":["ip",9,1,""],"2":["targetRef",11,1,"k8s.io.api.core.v1.ObjectReference"],"'
    '3":["hostname",9,1,""],"4":["nodeName",9,1,""]}},"k8s.io.api.core.v1.EndpointPort":{"f":{"'
    '1":["name",9,1,""],"2":["port",5,1,""],"3":["protocol",9,1,""]}},"k8s.io.api.core.v1.Endpo'
    'intSubset":{"f":{"1":["addresses",11,3,"k8s.io.api.core.v1.EndpointAddress"],"2":["notRead'
    'yAddresses",11,3,"k8s.io.api.core.v1.EndpointAddress"],"3":["ports",11,3,"k8s.io.api.core.'
    'v1.EndpointPort"]}},"k8s.io.api.core.v1.Endpoints":{"f":{"1":["metadata",11,1,"k8s.io.apim'
    'achinery.pkg.apis.meta.v1.ObjectMeta"],"2":["subsets",11,3,"k8s.io.api.core.v1.EndpointSub'
    'set"]}},"k8s.io.api.core.v1.EndpointsList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery'
    '.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.Endpoints"]}},"k8s.io.a'
    'pi.core.v1.EnvFromSource":{"f":{"1":["prefix",9,1,""],"2":["configMapRef",11,1,"k8s.io.api'
    '.core.v1.ConfigMapEnvSource"],"3":["secretRef",11,1,"k8s.io.api.core.v1.SecretEnvSource"]}'
    '},"k8s.io.api.core.v1.EnvVar":{"f":{"1":["name",9,1,""],"2":["value",9,1,""],"3":["valueFr'
    'om",11,1,"k8s.io.api.core.v1.EnvVarSource"]}},"k8s.io.api.core.v1.EnvVarSource":{"f":{"1":'
    '["fieldRef",11,1,"k8s.io.api.core.v1.ObjectFieldSelector"],"2":["resourceFieldRef",11,1,"k'
    '8s.io.api.core.v1.ResourceFieldSelector"],"3":["configMapKeyRef",11,1,"k8s.io.api.core.v1.'
    'ConfigMapKeySelector"],"4":["secretKeyRef",11,1,"k8s.io.api.core.v1.SecretKeySelector"]}},'
    '"k8s.io.api.core.v1.Event":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v'
    '1.ObjectMeta"],"10":["eventTime",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"],"1'
    '1":["series",11,1,"k8s.io.api.core.v1.EventSeries"],"12":["action",9,1,""],"13":["related"'
    ',11,1,"k8s.io.api.core.v1.ObjectReference"],"14":["reportingComponent",9,1,""],"15":["repo'
    'rtingInstance",9,1,""],"2":["involvedObject",11,1,"k8s.io.api.core.v1.ObjectReference"],"3'
    '":["reason",9,1,""],"4":["message",9,1,""],"5":["source",11,1,"k8s.io.api.core.v1.EventSou'
    'rce"],"6":["firstTimestamp",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"7":["lastTi'
    'mestamp",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"8":["count",5,1,""],"9":["type'
    '",9,1,""]}},"k8s.io.api.core.v1.EventList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery'
    '.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.Event"]}},"k8s.io.api.c'
    'ore.v1.EventSeries":{"f":{"1":["count",5,1,""],"2":["lastObservedTime",11,1,"k8s.io.apimac'
    'hinery.pkg.apis.meta.v1.MicroTime"],"3":["state",9,1,""]}},"k8s.io.api.core.v1.EventSource'
    '":{"f":{"1":["component",9,1,""],"2":["host",9,1,""]}},"k8s.io.api.core.v1.ExecAction":{"f'
    '":{"1":["command",9,3,""]}},"k8s.io.api.core.v1.FCVolumeSource":{"f":{"1":["targetWWNs",9,'
    '3,""],"2":["lun",5,1,""],"3":["fsType",9,1,""],"4":["readOnly",8,1,""],"5":["wwids",9,3,""'
    ']}},"k8s.io.api.core.v1.FlexPersistentVolumeSource":{"f":{"1":["driver",9,1,""],"2":["fsTy'
    'pe",9,1,""],"3":["secretRef",11,1,"k8s.io.api.core.v1.SecretReference"],"4":["readOnly",8,'
    '1,""],"5":["options",11,3,"k8s.io.api.core.v1.FlexPersistentVolumeSource.OptionsEntry"]}},'
    '"k8s.io.api.core.v1.FlexPersistentVolumeSource.OptionsEntry":{"f":{"1":["key",9,1,""],"2":'
    '["value",9,1,""]},"map":true},"k8s.io.api.core.v1.FlexVolumeSource":{"f":{"1":["driver",9,'
    '1,""],"2":["fsType",9,1,""],"3":["secretRef",11,1,"k8s.io.api.core.v1.LocalObjectReference'
    '"],"4":["readOnly",8,1,""],"5":["options",11,3,"k8s.io.api.core.v1.FlexVolumeSource.Option'
    'sEntry"]}},"k8s.io.api.core.v1.FlexVolumeSource.OptionsEntry":{"f":{"1":["key",9,1,""],"2"'
    ':["value",9,1,""]},"map":true},"k8s.io.api.core.v1.FlockerVolumeSource":{"f":{"1":["datase'
    'tName",9,1,""],"2":["datasetUUID",9,1,""]}},"k8s.io.api.core.v1.GCEPersistentDiskVolumeSou'
    'rce":{"f":{"1":["pdName",9,1,""],"2":["fsType",9,1,""],"3":["partition",5,1,""],"4":["read'
    'Only",8,1,""]}},"k8s.io.api.core.v1.GitRepoVolumeSource":{"f":{"1":["repository",9,1,""],"'
    '2":["revision",9,1,""],"3":["directory",9,1,""]}},"k8s.io.api.core.v1.GlusterfsPersistentV'
    'olumeSource":{"f":{"1":["endpoints",9,1,""],"2":["path",9,1,""],"3":["readOnly",8,1,""],"4'
    '":["endpointsNamespace",9,1,""]}},"k8s.io.api.core.v1.GlusterfsVolumeSource":{"f":{"1":["e'
    'ndpoints",9,1,""],"2":["path",9,1,""],"3":["readOnly",8,1,""]}},"k8s.io.api.core.v1.HTTPGe'
    'tAction":{"f":{"1":["path",9,1,""],"2":["port",11,1,"k8s.io.apimachinery.pkg.util.intstr.I'
    'ntOrString"],"3":["host",9,1,""],"4":["scheme",9,1,""],"5":["httpHeaders",11,3,"k8s.io.api'
    '.core.v1.HTTPHeader"]}},"k8s.io.api.core.v1.HTTPHeader":{"f":{"1":["name",9,1,""],"2":["va'
    'lue",9,1,""]}},"k8s.io.api.core.v1.Handler":{"f":{"1":["exec",11,1,"k8s.io.api.core.v1.Exe'
    'cAction"],"2":["httpGet",11,1,"k8s.io.api.core.v1.HTTPGetAction"],"3":["tcpSocket",11,1,"k'
    '8s.io.api.core.v1.TCPSocketAction"]}},"k8s.io.api.core.v1.HostAlias":{"f":{"1":["ip",9,1,"'
    '"],"2":["hostnames",9,3,""]}},"k8s.io.api.core.v1.HostPathVolumeSource":{"f":{"1":["path",'
    '9,1,""],"2":["type",9,1,""]}},"k8s.io.api.core.v1.ISCSIPersistentVolumeSource":{"f":{"1":['
    '"targetPortal",9,1,""],"10":["secretRef",11,1,"k8s.io.api.core.v1.SecretReference"],"11":['
    '"chapAuthSession",8,1,""],"12":["initiatorName",9,1,""],"2":["iqn",9,1,""],"3":["lun",5,1,'
    '""],"4":["iscsiInterface",9,1,""],"5":["fsType",9,1,""],"6":["readOnly",8,1,""],"7":["port'
    'als",9,3,""],"8":["chapAuthDiscovery",8,1,""]}},"k8s.io.api.core.v1.ISCSIVolumeSource":{"f'
    '":{"1":["targetPortal",9,1,""],"10":["secretRef",11,1,"k8s.io.api.core.v1.LocalObjectRefer'
    'ence"],"11":["chapAuthSession",8,1,""],"12":["initiatorName",9,1,""],"2":["iqn",9,1,""],"3'
    '":["lun",5,1,""],"4":["iscsiInterface",9,1,""],"5":["fsType",9,1,""],"6":["readOnly",8,1,"'
    '"],"7":["portals",9,3,""],"8":["chapAuthDiscovery",8,1,""]}},"k8s.io.api.core.v1.KeyToPath'
    '":{"f":{"1":["key",9,1,""],"2":["path",9,1,""],"3":["mode",5,1,""]}},"k8s.io.api.core.v1.L'
    'ifecycle":{"f":{"1":["postStart",11,1,"k8s.io.api.core.v1.Handler"],"2":["preStop",11,1,"k'
    '8s.io.api.core.v1.Handler"]}},"k8s.io.api.core.v1.LimitRange":{"f":{"1":["metadata",11,1,"'
    'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.core.v1.Lim'
    'itRangeSpec"]}},"k8s.io.api.core.v1.LimitRangeItem":{"f":{"1":["type",9,1,""],"2":["max",1'
    '1,3,"k8s.io.api.core.v1.LimitRangeItem.MaxEntry"],"3":["min",11,3,"k8s.io.api.core.v1.Limi'
    'tRangeItem.MinEntry"],"4":["default",11,3,"k8s.io.api.core.v1.LimitRangeItem.DefaultEntry"'
    '],"5":["defaultRequest",11,3,"k8s.io.api.core.v1.LimitRangeItem.DefaultRequestEntry"],"6":'
    '["maxLimitRequestRatio",11,3,"k8s.io.api.core.v1.LimitRangeItem.MaxLimitRequestRatioEntry"'
    ']}},"k8s.io.api.core.v1.LimitRangeItem.DefaultEntry":{"f":{"1":["key",9,1,""],"2":["value"'
    ',11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.Li'
    'mitRangeItem.DefaultRequestEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apima'
    'chinery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.LimitRangeItem.MaxEnt'
    'ry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.resource.Quant'
    'ity"]},"map":true},"k8s.io.api.core.v1.LimitRangeItem.MaxLimitRequestRatioEntry":{"f":{"1"'
    ':["key",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]},"map":'
    'true},"k8s.io.api.core.v1.LimitRangeItem.MinEntry":{"f":{"1":["key",9,1,""],"2":["value",1'
    '1,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.Limi'
    'tRangeList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2'
    '":["items",11,3,"k8s.io.api.core.v1.LimitRange"]}},"k8s.io.api.core.v1.LimitRangeSpec":{"f'
    '":{"1":["limits",11,3,"k8s.io.api.core.v1.LimitRangeItem"]}},"k8s.io.api.core.v1.List":{"f'
    '":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3'
    ',"k8s.io.apimachinery.pkg.runtime.RawExtension"]}},"k8s.io.api.core.v1.LoadBalancerIngress'
    '":{"f":{"1":["ip",9,1,""],"2":["hostname",9,1,""]}},"k8s.io.api.core.v1.LoadBalancerStatus'
    '":{"f":{"1":["ingress",11,3,"k8s.io.api.core.v1.LoadBalancerIngress"]}},"k8s.io.api.core.v'
    '1.LocalObjectReference":{"f":{"1":["name",9,1,""]}},"k8s.io.api.core.v1.LocalVolumeSource"'
    ':{"f":{"1":["path",9,1,""],"2":["fsType",9,1,""]}},"k8s.io.api.core.v1.NFSVolumeSource":{"'
    'f":{"1":["server",9,1,""],"2":["path",9,1,""],"3":["readOnly",8,1,""]}},"k8s.io.api.core.v'
    '1.Namespace":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"]'
    ',"2":["spec",11,1,"k8s.io.api.core.v1.NamespaceSpec"],"3":["status",11,1,"k8s.io.api.core.'
    'v1.NamespaceStatus"]}},"k8s.io.api.core.v1.NamespaceList":{"f":{"1":["metadata",11,1,"k8s.'
    'io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.Namespac'
    'e"]}},"k8s.io.api.core.v1.NamespaceSpec":{"f":{"1":["finalizers",9,3,""]}},"k8s.io.api.cor'
    'e.v1.NamespaceStatus":{"f":{"1":["phase",9,1,""]}},"k8s.io.api.core.v1.Node":{"f":{"1":["m'
    'etadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.'
    'api.core.v1.NodeSpec"],"3":["status",11,1,"k8s.io.api.core.v1.NodeStatus"]}},"k8s.io.api.c'
    'ore.v1.NodeAddress":{"f":{"1":["type",9,1,""],"2":["address",9,1,""]}},"k8s.io.api.core.v1'
    '.NodeAffinity":{"f":{"1":["requiredDuringSchedulingIgnoredDuringExecution",11,1,"k8s.io.ap'
    'i.core.v1.NodeSelector"],"2":["preferredDuringSchedulingIgnoredDuringExecution",11,3,"k8s.'
    'io.api.core.v1.PreferredSchedulingTerm"]}},"k8s.io.api.core.v1.NodeCondition":{"f":{"1":["'
    'type",9,1,""],"2":["status",9,1,""],"3":["lastHeartbeatTime",11,1,"k8s.io.apimachinery.pkg'
    '.apis.meta.v1.Time"],"4":["lastTransitionTime",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.'
    'Time"],"5":["reason",9,1,""],"6":["message",9,1,""]}},"k8s.io.api.core.v1.NodeConfigSource'
    '":{"f":{"2":["configMap",11,1,"k8s.io.api.core.v1.ConfigMapNodeConfigSource"]}},"k8s.io.ap'
    'i.core.v1.NodeConfigStatus":{"f":{"1":["assigned",11,1,"k8s.io.api.core.v1.NodeConfigSourc'
    'e"],"2":["active",11,1,"k8s.io.api.core.v1.NodeConfigSource"],"3":["lastKnownGood",11,1,"k'
    '8s.io.api.core.v1.NodeConfigSource"],"4":["error",9,1,""]}},"k8s.io.api.core.v1.NodeDaemon'
    'Endpoints":{"f":{"1":["kubeletEndpoint",11,1,"k8s.io.api.core.v1.DaemonEndpoint"]}},"k8s.i'
    'o.api.core.v1.NodeList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.L'
    'istMeta"],"2":["items",11,3,"k8s.io.api.core.v1.Node"]}},"k8s.io.api.core.v1.NodeProxyOpti'
    'ons":{"f":{"1":["path",9,1,""]}},"k8s.io.api.core.v1.NodeResources":{"f":{"1":["capacity",'
    '11,3,"k8s.io.api.core.v1.NodeResources.CapacityEntry"]}},"k8s.io.api.core.v1.NodeResources'
    '.CapacityEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.re'
    'source.Quantity"]},"map":true},"k8s.io.api.core.v1.NodeSelector":{"f":{"1":["nodeSelectorT'
    'erms",11,3,"k8s.io.api.core.v1.NodeSelectorTerm"]}},"k8s.io.api.core.v1.NodeSelectorRequir'
    'ement":{"f":{"1":["key",9,1,""],"2":["operator",9,1,""],"3":["values",9,3,""]}},"k8s.io.ap'
    'i.core.v1.NodeSelectorTerm":{"f":{"1":["matchExpressions",11,3,"k8s.io.api.core.v1.NodeSel'
    'ectorRequirement"],"2":["matchFields",11,3,"k8s.io.api.core.v1.NodeSelectorRequirement"]}}'
    ',"k8s.io.api.core.v1.NodeSpec":{"f":{"1":["podCIDR",9,1,""],"2":["externalID",9,1,""],"3":'
    '["providerID",9,1,""],"4":["unschedulable",8,1,""],"5":["taints",11,3,"k8s.io.api.core.v1.'
    'Taint"],"6":["configSource",11,1,"k8s.io.api.core.v1.NodeConfigSource"]}},"k8s.io.api.core'
    '.v1.NodeStatus":{"f":{"1":["capacity",11,3,"k8s.io.api.core.v1.NodeStatus.CapacityEntry"],'
    '"10":["volumesAttached",11,3,"k8s.io.api.core.v1.AttachedVolume"],"11":["config",11,1,"k8s'
    '.io.api.core.v1.NodeConfigStatus"],"2":["allocatable",11,3,"k8s.io.api.core.v1.NodeStatus.'
    'AllocatableEntry"],"3":["phase",9,1,""],"4":["conditions",11,3,"k8s.io.api.core.v1.NodeCon'
    'dition"],"5":["addresses",11,3,"k8s.io.api.core.v1.NodeAddress"],"6":["daemonEndpoints",11'
    ',1,"k8s.io.api.core.v1.NodeDaemonEndpoints"],"7":["nodeInfo",11,1,"k8s.io.api.core.v1.Node'
    'SystemInfo"],"8":["images",11,3,"k8s.io.api.core.v1.ContainerImage"],"9":["volumesInUse",9'
    ',3,""]}},"k8s.io.api.core.v1.NodeStatus.AllocatableEntry":{"f":{"1":["key",9,1,""],"2":["v'
    'alue",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.'
    'v1.NodeStatus.CapacityEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachine'
    'ry.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.NodeSystemInfo":{"f":{"1":'
    '["machineID",9,1,""],"10":["architecture",9,1,""],"2":["systemUUID",9,1,""],"3":["bootID",'
    '9,1,""],"4":["kernelVersion",9,1,""],"5":["osImage",9,1,""],"6":["containerRuntimeVersion"'
    ',9,1,""],"7":["kubeletVersion",9,1,""],"8":["kubeProxyVersion",9,1,""],"9":["operatingSyst'
    'em",9,1,""]}},"k8s.io.api.core.v1.ObjectFieldSelector":{"f":{"1":["apiVersion",9,1,""],"2"'
    ':["fieldPath",9,1,""]}},"k8s.io.api.core.v1.ObjectReference":{"f":{"1":["kind",9,1,""],"2"'
    ':["namespace",9,1,""],"3":["name",9,1,""],"4":["uid",9,1,""],"5":["apiVersion",9,1,""],"6"'
    ':["resourceVersion",9,1,""],"7":["fieldPath",9,1,""]}},"k8s.io.api.core.v1.PersistentVolum'
    'e":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["spe'
    'c",11,1,"k8s.io.api.core.v1.PersistentVolumeSpec"],"3":["status",11,1,"k8s.io.api.core.v1.'
    'PersistentVolumeStatus"]}},"k8s.io.api.core.v1.PersistentVolumeClaim":{"f":{"1":["metadata'
    '",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.cor'
    'e.v1.PersistentVolumeClaimSpec"],"3":["status",11,1,"k8s.io.api.core.v1.PersistentVolumeCl'
    'aimStatus"]}},"k8s.io.api.core.v1.PersistentVolumeClaimCondition":{"f":{"1":["type",9,1,""'
    '],"2":["status",9,1,""],"3":["lastProbeTime",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Ti'
    'me"],"4":["lastTransitionTime",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"5":["rea'
    'son",9,1,""],"6":["message",9,1,""]}},"k8s.io.api.core.v1.PersistentVolumeClaimList":{"f":'
    '{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"'
    'k8s.io.api.core.v1.PersistentVolumeClaim"]}},"k8s.io.api.core.v1.PersistentVolumeClaimSpec'
    '":{"f":{"1":["accessModes",9,3,""],"2":["resources",11,1,"k8s.io.api.core.v1.ResourceRequi'
    'rements"],"3":["volumeName",9,1,""],"4":["selector",11,1,"k8s.io.apimachinery.pkg.apis.met'
    'a.v1.LabelSelector"],"5":["storageClassName",9,1,""],"6":["volumeMode",9,1,""],"7":["dataS'
    'ource",11,1,"k8s.io.api.core.v1.TypedLocalObjectReference"]}},"k8s.io.api.core.v1.Persiste'
    'ntVolumeClaimStatus":{"f":{"1":["phase",9,1,""],"2":["accessModes",9,3,""],"3":["capacity"'
    ',11,3,"k8s.io.api.core.v1.PersistentVolumeClaimStatus.CapacityEntry"],"4":["conditions",11'
    ',3,"k8s.io.api.core.v1.PersistentVolumeClaimCondition"]}},"k8s.io.api.core.v1.PersistentVo'
    'lumeClaimStatus.CapacityEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachi'
    'nery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.PersistentVolumeClaimVol'
    'umeSource":{"f":{"1":["claimName",9,1,""],"2":["readOnly",8,1,""]}},"k8s.io.api.core.v1.Pe'
    'rsistentVolumeList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListM'
    'eta"],"2":["items",11,3,"k8s.io.api.core.v1.PersistentVolume"]}},"k8s.io.api.core.v1.Persi'
    'stentVolumeSource":{"f":{"1":["gcePersistentDisk",11,1,"k8s.io.api.core.v1.GCEPersistentDi'
    'skVolumeSource"],"10":["fc",11,1,"k8s.io.api.core.v1.FCVolumeSource"],"11":["flocker",11,1'
    ',"k8s.io.api.core.v1.FlockerVolumeSource"],"12":["flexVolume",11,1,"k8s.io.api.core.v1.Fle'
    'xPersistentVolumeSource"],"13":["azureFile",11,1,"k8s.io.api.core.v1.AzureFilePersistentVo'
    'lumeSource"],"14":["vsphereVolume",11,1,"k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource'
    '"],"15":["quobyte",11,1,"k8s.io.api.core.v1.QuobyteVolumeSource"],"16":["azureDisk",11,1,"'
    'k8s.io.api.core.v1.AzureDiskVolumeSource"],"17":["photonPersistentDisk",11,1,"k8s.io.api.c'
    'ore.v1.PhotonPersistentDiskVolumeSource"],"18":["portworxVolume",11,1,"k8s.io.api.core.v1.'
    'PortworxVolumeSource"],"19":["scaleIO",11,1,"k8s.io.api.core.v1.ScaleIOPersistentVolumeSou'
    'rce"],"2":["awsElasticBlockStore",11,1,"k8s.io.api.core.v1.AWSElasticBlockStoreVolumeSourc'
    'e"],"20":["local",11,1,"k8s.io.api.core.v1.LocalVolumeSource"],"21":["storageos",11,1,"k8s'
    '.io.api.core.v1.StorageOSPersistentVolumeSource"],"22":["csi",11,1,"k8s.io.api.core.v1.CSI'
    'PersistentVolumeSource"],"3":["hostPath",11,1,"k8s.io.api.core.v1.HostPathVolumeSource"],"'
    '4":["glusterfs",11,1,"k8s.io.api.core.v1.GlusterfsPersistentVolumeSource"],"5":["nfs",11,1'
    ',"k8s.io.api.core.v1.NFSVolumeSource"],"6":["rbd",11,1,"k8s.io.api.core.v1.RBDPersistentVo'
    'lumeSource"],"7":["iscsi",11,1,"k8s.io.api.core.v1.ISCSIPersistentVolumeSource"],"8":["cin'
    'der",11,1,"k8s.io.api.core.v1.CinderPersistentVolumeSource"],"9":["cephfs",11,1,"k8s.io.ap'
    'i.core.v1.CephFSPersistentVolumeSource"]}},"k8s.io.api.core.v1.PersistentVolumeSpec":{"f":'
    '{"1":["capacity",11,3,"k8s.io.api.core.v1.PersistentVolumeSpec.CapacityEntry"],"2":["persi'
    'stentVolumeSource",11,1,"k8s.io.api.core.v1.PersistentVolumeSource"],"3":["accessModes",9,'
    '3,""],"4":["claimRef",11,1,"k8s.io.api.core.v1.ObjectReference"],"5":["persistentVolumeRec'
    'laimPolicy",9,1,""],"6":["storageClassName",9,1,""],"7":["mountOptions",9,3,""],"8":["volu'
    'meMode",9,1,""],"9":["nodeAffinity",11,1,"k8s.io.api.core.v1.VolumeNodeAffinity"]}},"k8s.i'
    'o.api.core.v1.PersistentVolumeSpec.CapacityEntry":{"f":{"1":["key",9,1,""],"2":["value",11'
    ',1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.Persi'
    'stentVolumeStatus":{"f":{"1":["phase",9,1,""],"2":["message",9,1,""],"3":["reason",9,1,""]'
    '}},"k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource":{"f":{"1":["pdID",9,1,""],"2":["f'
    'sType",9,1,""]}},"k8s.io.api.core.v1.Pod":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.'
    'pkg.apis.meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.core.v1.PodSpec"],"3":["status"'
    ',11,1,"k8s.io.api.core.v1.PodStatus"]}},"k8s.io.api.core.v1.PodAffinity":{"f":{"1":["requi'
    'redDuringSchedulingIgnoredDuringExecution",11,3,"k8s.io.api.core.v1.PodAffinityTerm"],"2":'
    '["preferredDuringSchedulingIgnoredDuringExecution",11,3,"k8s.io.api.core.v1.WeightedPodAff'
    'inityTerm"]}},"k8s.io.api.core.v1.PodAffinityTerm":{"f":{"1":["labelSelector",11,1,"k8s.io'
    '.apimachinery.pkg.apis.meta.v1.LabelSelector"],"2":["namespaces",9,3,""],"3":["topologyKey'
    '",9,1,""]}},"k8s.io.api.core.v1.PodAntiAffinity":{"f":{"1":["requiredDuringSchedulingIgnor'
    'edDuringExecution",11,3,"k8s.io.api.core.v1.PodAffinityTerm"],"2":["preferredDuringSchedul'
    'ingIgnoredDuringExecution",11,3,"k8s.io.api.core.v1.WeightedPodAffinityTerm"]}},"k8s.io.ap'
    'i.core.v1.PodAttachOptions":{"f":{"1":["stdin",8,1,""],"2":["stdout",8,1,""],"3":["stderr"'
    ',8,1,""],"4":["tty",8,1,""],"5":["container",9,1,""]}},"k8s.io.api.core.v1.PodCondition":{'
    '"f":{"1":["type",9,1,""],"2":["status",9,1,""],"3":["lastProbeTime",11,1,"k8s.io.apimachin'
    'ery.pkg.apis.meta.v1.Time"],"4":["lastTransitionTime",11,1,"k8s.io.apimachinery.pkg.apis.m'
    'eta.v1.Time"],"5":["reason",9,1,""],"6":["message",9,1,""]}},"k8s.io.api.core.v1.PodDNSCon'
    'fig":{"f":{"1":["nameservers",9,3,""],"2":["searches",9,3,""],"3":["options",11,3,"k8s.io.'
    'api.core.v1.PodDNSConfigOption"]}},"k8s.io.api.core.v1.PodDNSConfigOption":{"f":{"1":["nam'
    'e",9,1,""],"2":["value",9,1,""]}},"k8s.io.api.core.v1.PodExecOptions":{"f":{"1":["stdin",8'
    ',1,""],"2":["stdout",8,1,""],"3":["stderr",8,1,""],"4":["tty",8,1,""],"5":["container",9,1'
    ',""],"6":["command",9,3,""]}},"k8s.io.api.core.v1.PodList":{"f":{"1":["metadata",11,1,"k8s'
    '.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.Pod"]}}'
    ',"k8s.io.api.core.v1.PodLogOptions":{"f":{"1":["container",9,1,""],"2":["follow",8,1,""],"'
    '3":["previous",8,1,""],"4":["sinceSeconds",3,1,""],"5":["sinceTime",11,1,"k8s.io.apimachin'
    'ery.pkg.apis.meta.v1.Time"],"6":["timestamps",8,1,""],"7":["tailLines",3,1,""],"8":["limit'
    'Bytes",3,1,""]}},"k8s.io.api.core.v1.PodPortForwardOptions":{"f":{"1":["ports",5,3,""]}},"'
    'k8s.io.api.core.v1.PodProxyOptions":{"f":{"1":["path",9,1,""]}},"k8s.io.api.core.v1.PodRea'
    'dinessGate":{"f":{"1":["conditionType",9,1,""]}},"k8s.io.api.core.v1.PodSecurityContext":{'
    '"f":{"1":["seLinuxOptions",11,1,"k8s.io.api.core.v1.SELinuxOptions"],"2":["runAsUser",3,1,'
    '""],"3":["runAsNonRoot",8,1,""],"4":["supplementalGroups",3,3,""],"5":["fsGroup",3,1,""],"'
    '6":["runAsGroup",3,1,""],"7":["sysctls",11,3,"k8s.io.api.core.v1.Sysctl"]}},"k8s.io.api.co'
    're.v1.PodSignature":{"f":{"1":["podController",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.'
    'OwnerReference"]}},"k8s.io.api.core.v1.PodSpec":{"f":{"1":["volumes",11,3,"k8s.io.api.core'
    '.v1.Volume"],"10":["nodeName",9,1,""],"11":["hostNetwork",8,1,""],"12":["hostPID",8,1,""],'
    '"13":["hostIPC",8,1,""],"14":["securityContext",11,1,"k8s.io.api.core.v1.PodSecurityContex'
    't"],"15":["imagePullSecrets",11,3,"k8s.io.api.core.v1.LocalObjectReference"],"16":["hostna'
    'me",9,1,""],"17":["subdomain",9,1,""],"18":["affinity",11,1,"k8s.io.api.core.v1.Affinity"]'
    ',"19":["schedulerName",9,1,""],"2":["containers",11,3,"k8s.io.api.core.v1.Container"],"20"'
    ':["initContainers",11,3,"k8s.io.api.core.v1.Container"],"21":["automountServiceAccountToke'
    'n",8,1,""],"22":["tolerations",11,3,"k8s.io.api.core.v1.Toleration"],"23":["hostAliases",1'
    '1,3,"k8s.io.api.core.v1.HostAlias"],"24":["priorityClassName",9,1,""],"25":["priority",5,1'
    ',""],"26":["dnsConfig",11,1,"k8s.io.api.core.v1.PodDNSConfig"],"27":["shareProcessNamespac'
    'e",8,1,""],"28":["readinessGates",11,3,"k8s.io.api.core.v1.PodReadinessGate"],"29":["runti'
    'meClassName",9,1,""],"3":["restartPolicy",9,1,""],"30":["enableServiceLinks",8,1,""],"4":['
    '"terminationGracePeriodSeconds",3,1,""],"5":["activeDeadlineSeconds",3,1,""],"6":["dnsPoli'
    'cy",9,1,""],"7":["nodeSelector",11,3,"k8s.io.api.core.v1.PodSpec.NodeSelectorEntry"],"8":['
    '"serviceAccountName",9,1,""],"9":["serviceAccount",9,1,""]}},"k8s.io.api.core.v1.PodSpec.N'
    'odeSelectorEntry":{"f":{"1":["key",9,1,""],"2":["value",9,1,""]},"map":true},"k8s.io.api.c'
    'ore.v1.PodStatus":{"f":{"1":["phase",9,1,""],"10":["initContainerStatuses",11,3,"k8s.io.ap'
    'i.core.v1.ContainerStatus"],"11":["nominatedNodeName",9,1,""],"2":["conditions",11,3,"k8s.'
    'io.api.core.v1.PodCondition"],"3":["message",9,1,""],"4":["reason",9,1,""],"5":["hostIP",9'
    ',1,""],"6":["podIP",9,1,""],"7":["startTime",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Ti'
    'me"],"8":["containerStatuses",11,3,"k8s.io.api.core.v1.ContainerStatus"],"9":["qosClass",9'
    ',1,""]}},"k8s.io.api.core.v1.PodStatusResult":{"f":{"1":["metadata",11,1,"k8s.io.apimachin'
    'ery.pkg.apis.meta.v1.ObjectMeta"],"2":["status",11,1,"k8s.io.api.core.v1.PodStatus"]}},"k8'
    's.io.api.core.v1.PodTemplate":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.met'
    'a.v1.ObjectMeta"],"2":["template",11,1,"k8s.io.api.core.v1.PodTemplateSpec"]}},"k8s.io.api'
    '.core.v1.PodTemplateList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1'
    '.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.PodTemplate"]}},"k8s.io.api.core.v1.PodT'
    'emplateSpec":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"]'
    ',"2":["spec",11,1,"k8s.io.api.core.v1.PodSpec"]}},"k8s.io.api.core.v1.PortworxVolumeSource'
    '":{"f":{"1":["volumeID",9,1,""],"2":["fsType",9,1,""],"3":["readOnly",8,1,""]}},"k8s.io.ap'
    'i.core.v1.Preconditions":{"f":{"1":["uid",9,1,""]}},"k8s.io.api.core.v1.PreferAvoidPodsEnt'
    'ry":{"f":{"1":["podSignature",11,1,"k8s.io.api.core.v1.PodSignature"],"2":["evictionTime",'
    '11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"3":["reason",9,1,""],"4":["message",9,1'
    ',""]}},"k8s.io.api.core.v1.PreferredSchedulingTerm":{"f":{"1":["weight",5,1,""],"2":["pref'
    'erence",11,1,"k8s.io.api.core.v1.NodeSelectorTerm"]}},"k8s.io.api.core.v1.Probe":{"f":{"1"'
    ':["handler",11,1,"k8s.io.api.core.v1.Handler"],"2":["initialDelaySeconds",5,1,""],"3":["ti'
    'meoutSeconds",5,1,""],"4":["periodSeconds",5,1,""],"5":["successThreshold",5,1,""],"6":["f'
    'ailureThreshold",5,1,""]}},"k8s.io.api.core.v1.ProjectedVolumeSource":{"f":{"1":["sources"'
    ',11,3,"k8s.io.api.core.v1.VolumeProjection"],"2":["defaultMode",5,1,""]}},"k8s.io.api.core'
    '.v1.QuobyteVolumeSource":{"f":{"1":["registry",9,1,""],"2":["volume",9,1,""],"3":["readOnl'
    'y",8,1,""],"4":["user",9,1,""],"5":["group",9,1,""],"6":["tenant",9,1,""]}},"k8s.io.api.co'
    're.v1.RBDPersistentVolumeSource":{"f":{"1":["monitors",9,3,""],"2":["image",9,1,""],"3":["'
    'fsType",9,1,""],"4":["pool",9,1,""],"5":["user",9,1,""],"6":["keyring",9,1,""],"7":["secre'
    'tRef",11,1,"k8s.io.api.core.v1.SecretReference"],"8":["readOnly",8,1,""]}},"k8s.io.api.cor'
    'e.v1.RBDVolumeSource":{"f":{"1":["monitors",9,3,""],"2":["image",9,1,""],"3":["fsType",9,1'
    ',""],"4":["pool",9,1,""],"5":["user",9,1,""],"6":["keyring",9,1,""],"7":["secretRef",11,1,'
    '"k8s.io.api.core.v1.LocalObjectReference"],"8":["readOnly",8,1,""]}},"k8s.io.api.core.v1.R'
    'angeAllocation":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMet'
    'a"],"2":["range",9,1,""],"3":["data",12,1,""]}},"k8s.io.api.core.v1.ReplicationController"'
    ':{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["spec"'
    ',11,1,"k8s.io.api.core.v1.ReplicationControllerSpec"],"3":["status",11,1,"k8s.io.api.core.'
    'v1.ReplicationControllerStatus"]}},"k8s.io.api.core.v1.ReplicationControllerCondition":{"f'
    '":{"1":["type",9,1,""],"2":["status",9,1,""],"3":["lastTransitionTime",11,1,"k8s.io.apimac'
    'hinery.pkg.apis.meta.v1.Time"],"4":["reason",9,1,""],"5":["message",9,1,""]}},"k8s.io.api.'
    'core.v1.ReplicationControllerList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.api'
    's.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.ReplicationController"]}},"k8s.'
    'io.api.core.v1.ReplicationControllerSpec":{"f":{"1":["replicas",5,1,""],"2":["selector",11'
    ',3,"k8s.io.api.core.v1.ReplicationControllerSpec.SelectorEntry"],"3":["template",11,1,"k8s'
    '.io.api.core.v1.PodTemplateSpec"],"4":["minReadySeconds",5,1,""]}},"k8s.io.api.core.v1.Rep'
    'licationControllerSpec.SelectorEntry":{"f":{"1":["key",9,1,""],"2":["value",9,1,""]},"map"'
    ':true},"k8s.io.api.core.v1.ReplicationControllerStatus":{"f":{"1":["replicas",5,1,""],"2":'
    '["fullyLabeledReplicas",5,1,""],"3":["observedGeneration",3,1,""],"4":["readyReplicas",5,1'
    ',""],"5":["availableReplicas",5,1,""],"6":["conditions",11,3,"k8s.io.api.core.v1.Replicati'
    'onControllerCondition"]}},"k8s.io.api.core.v1.ResourceFieldSelector":{"f":{"1":["container'
    'Name",9,1,""],"2":["resource",9,1,""],"3":["divisor",11,1,"k8s.io.apimachinery.pkg.api.res'
    'ource.Quantity"]}},"k8s.io.api.core.v1.ResourceQuota":{"f":{"1":["metadata",11,1,"k8s.io.a'
    'pimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.core.v1.ResourceQuo'
    'taSpec"],"3":["status",11,1,"k8s.io.api.core.v1.ResourceQuotaStatus"]}},"k8s.io.api.core.v'
    '1.ResourceQuotaList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.List'
    'Meta"],"2":["items",11,3,"k8s.io.api.core.v1.ResourceQuota"]}},"k8s.io.api.core.v1.Resourc'
    'eQuotaSpec":{"f":{"1":["hard",11,3,"k8s.io.api.core.v1.ResourceQuotaSpec.HardEntry"],"2":['
    '"scopes",9,3,""],"3":["scopeSelector",11,1,"k8s.io.api.core.v1.ScopeSelector"]}},"k8s.io.a'
    'pi.core.v1.ResourceQuotaSpec.HardEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io'
    '.apimachinery.pkg.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.ResourceQuotaSt'
    'atus":{"f":{"1":["hard",11,3,"k8s.io.api.core.v1.ResourceQuotaStatus.HardEntry"],"2":["use'
    'd",11,3,"k8s.io.api.core.v1.ResourceQuotaStatus.UsedEntry"]}},"k8s.io.api.core.v1.Resource'
    'QuotaStatus.HardEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg'
    '.api.resource.Quantity"]},"map":true},"k8s.io.api.core.v1.ResourceQuotaStatus.UsedEntry":{'
    '"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]'
    '},"map":true},"k8s.io.api.core.v1.ResourceRequirements":{"f":{"1":["limits",11,3,"k8s.io.a'
    'pi.core.v1.ResourceRequirements.LimitsEntry"],"2":["requests",11,3,"k8s.io.api.core.v1.Res'
    'ourceRequirements.RequestsEntry"]}},"k8s.io.api.core.v1.ResourceRequirements.LimitsEntry":'
    '{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"'
    ']},"map":true},"k8s.io.api.core.v1.ResourceRequirements.RequestsEntry":{"f":{"1":["key",9,'
    '1,""],"2":["value",11,1,"k8s.io.apimachinery.pkg.api.resource.Quantity"]},"map":true},"k8s'
    '.io.api.core.v1.SELinuxOptions":{"f":{"1":["user",9,1,""],"2":["role",9,1,""],"3":["type",'
    '9,1,""],"4":["level",9,1,""]}},"k8s.io.api.core.v1.ScaleIOPersistentVolumeSource":{"f":{"1'
    '":["gateway",9,1,""],"10":["readOnly",8,1,""],"2":["system",9,1,""],"3":["secretRef",11,1,'
    '"k8s.io.api.core.v1.SecretReference"],"4":["sslEnabled",8,1,""],"5":["protectionDomain",9,'
    '1,""],"6":["storagePool",9,1,""],"7":["storageMode",9,1,""],"8":["volumeName",9,1,""],"9":'
    '["fsType",9,1,""]}},"k8s.io.api.core.v1.ScaleIOVolumeSource":{"f":{"1":["gateway",9,1,""],'
    '"10":["readOnly",8,1,""],"2":["system",9,1,""],"3":["secretRef",11,1,"k8s.io.api.core.v1.L'
    'ocalObjectReference"],"4":["sslEnabled",8,1,""],"5":["protectionDomain",9,1,""],"6":["stor'
    'agePool",9,1,""],"7":["storageMode",9,1,""],"8":["volumeName",9,1,""],"9":["fsType",9,1,""'
    ']}},"k8s.io.api.core.v1.ScopeSelector":{"f":{"1":["matchExpressions",11,3,"k8s.io.api.core'
    '.v1.ScopedResourceSelectorRequirement"]}},"k8s.io.api.core.v1.ScopedResourceSelectorRequir'
    'ement":{"f":{"1":["scopeName",9,1,""],"2":["operator",9,1,""],"3":["values",9,3,""]}},"k8s'
    '.io.api.core.v1.Secret":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.O'
    'bjectMeta"],"2":["data",11,3,"k8s.io.api.core.v1.Secret.DataEntry"],"3":["type",9,1,""],"4'
    '":["stringData",11,3,"k8s.io.api.core.v1.Secret.StringDataEntry"],"5":["immutable",8,1,""]'
    '}},"k8s.io.api.core.v1.Secret.DataEntry":{"f":{"1":["key",9,1,""],"2":["value",12,1,""]},"'
    'map":true},"k8s.io.api.core.v1.Secret.StringDataEntry":{"f":{"1":["key",9,1,""],"2":["valu'
    'e",9,1,""]},"map":true},"k8s.io.api.core.v1.SecretEnvSource":{"f":{"1":["localObjectRefere'
    'nce",11,1,"k8s.io.api.core.v1.LocalObjectReference"],"2":["optional",8,1,""]}},"k8s.io.api'
    '.core.v1.SecretKeySelector":{"f":{"1":["localObjectReference",11,1,"k8s.io.api.core.v1.Loc'
    'alObjectReference"],"2":["key",9,1,""],"3":["optional",8,1,""]}},"k8s.io.api.core.v1.Secre'
    'tList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["i'
    'tems",11,3,"k8s.io.api.core.v1.Secret"]}},"k8s.io.api.core.v1.SecretProjection":{"f":{"1":'
    '["localObjectReference",11,1,"k8s.io.api.core.v1.LocalObjectReference"],"2":["items",11,3,'
    '"k8s.io.api.core.v1.KeyToPath"],"4":["optional",8,1,""]}},"k8s.io.api.core.v1.SecretRefere'
    'nce":{"f":{"1":["name",9,1,""],"2":["namespace",9,1,""]}},"k8s.io.api.core.v1.SecretVolume'
    'Source":{"f":{"1":["secretName",9,1,""],"2":["items",11,3,"k8s.io.api.core.v1.KeyToPath"],'
    '"3":["defaultMode",5,1,""],"4":["optional",8,1,""]}},"k8s.io.api.core.v1.SecurityContext":'
    '{"f":{"1":["capabilities",11,1,"k8s.io.api.core.v1.Capabilities"],"2":["privileged",8,1,""'
    '],"3":["seLinuxOptions",11,1,"k8s.io.api.core.v1.SELinuxOptions"],"4":["runAsUser",3,1,""]'
    ',"5":["runAsNonRoot",8,1,""],"6":["readOnlyRootFilesystem",8,1,""],"7":["allowPrivilegeEsc'
    'alation",8,1,""],"8":["runAsGroup",3,1,""],"9":["procMount",9,1,""]}},"k8s.io.api.core.v1.'
    'SerializedReference":{"f":{"1":["reference",11,1,"k8s.io.api.core.v1.ObjectReference"]}},"'
    'k8s.io.api.core.v1.Service":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.'
    'v1.ObjectMeta"],"2":["spec",11,1,"k8s.io.api.core.v1.ServiceSpec"],"3":["status",11,1,"k8s'
    '.io.api.core.v1.ServiceStatus"]}},"k8s.io.api.core.v1.ServiceAccount":{"f":{"1":["metadata'
    '",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"],"2":["secrets",11,3,"k8s.io.api.'
    'core.v1.ObjectReference"],"3":["imagePullSecrets",11,3,"k8s.io.api.core.v1.LocalObjectRefe'
    'rence"],"4":["automountServiceAccountToken",8,1,""]}},"k8s.io.api.core.v1.ServiceAccountLi'
    'st":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["item'
    's",11,3,"k8s.io.api.core.v1.ServiceAccount"]}},"k8s.io.api.core.v1.ServiceAccountTokenProj'
    'ection":{"f":{"1":["audience",9,1,""],"2":["expirationSeconds",3,1,""],"3":["path",9,1,""]'
    '}},"k8s.io.api.core.v1.ServiceList":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.pkg.ap'
    'is.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.api.core.v1.Service"]}},"k8s.io.api.core.v'
    '1.ServicePort":{"f":{"1":["name",9,1,""],"2":["protocol",9,1,""],"3":["port",5,1,""],"4":['
    '"targetPort",11,1,"k8s.io.apimachinery.pkg.util.intstr.IntOrString"],"5":["nodePort",5,1,"'
    '"]}},"k8s.io.api.core.v1.ServiceProxyOptions":{"f":{"1":["path",9,1,""]}},"k8s.io.api.core'
    '.v1.ServiceSpec":{"f":{"1":["ports",11,3,"k8s.io.api.core.v1.ServicePort"],"10":["external'
    'Name",9,1,""],"11":["externalTrafficPolicy",9,1,""],"12":["healthCheckNodePort",5,1,""],"1'
    '3":["publishNotReadyAddresses",8,1,""],"14":["sessionAffinityConfig",11,1,"k8s.io.api.core'
    '.v1.SessionAffinityConfig"],"2":["selector",11,3,"k8s.io.api.core.v1.ServiceSpec.SelectorE'
    'ntry"],"3":["clusterIP",9,1,""],"4":["type",9,1,""],"5":["externalIPs",9,3,""],"7":["sessi'
    'onAffinity",9,1,""],"8":["loadBalancerIP",9,1,""],"9":["loadBalancerSourceRanges",9,3,""]}'
    '},"k8s.io.api.core.v1.ServiceSpec.SelectorEntry":{"f":{"1":["key",9,1,""],"2":["value",9,1'
    ',""]},"map":true},"k8s.io.api.core.v1.ServiceStatus":{"f":{"1":["loadBalancer",11,1,"k8s.i'
    'o.api.core.v1.LoadBalancerStatus"]}},"k8s.io.api.core.v1.SessionAffinityConfig":{"f":{"1":'
    '["clientIP",11,1,"k8s.io.api.core.v1.ClientIPConfig"]}},"k8s.io.api.core.v1.StorageOSPersi'
    'stentVolumeSource":{"f":{"1":["volumeName",9,1,""],"2":["volumeNamespace",9,1,""],"3":["fs'
    'Type",9,1,""],"4":["readOnly",8,1,""],"5":["secretRef",11,1,"k8s.io.api.core.v1.ObjectRefe'
    'rence"]}},"k8s.io.api.core.v1.StorageOSVolumeSource":{"f":{"1":["volumeName",9,1,""],"2":['
    '"volumeNamespace",9,1,""],"3":["fsType",9,1,""],"4":["readOnly",8,1,""],"5":["secretRef",1'
    '1,1,"k8s.io.api.core.v1.LocalObjectReference"]}},"k8s.io.api.core.v1.Sysctl":{"f":{"1":["n'
    'ame",9,1,""],"2":["value",9,1,""]}},"k8s.io.api.core.v1.TCPSocketAction":{"f":{"1":["port"'
    ',11,1,"k8s.io.apimachinery.pkg.util.intstr.IntOrString"],"2":["host",9,1,""]}},"k8s.io.api'
    '.core.v1.Taint":{"f":{"1":["key",9,1,""],"2":["value",9,1,""],"3":["effect",9,1,""],"4":["'
    'timeAdded",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"]}},"k8s.io.api.core.v1.Tolerat'
    'ion":{"f":{"1":["key",9,1,""],"2":["operator",9,1,""],"3":["value",9,1,""],"4":["effect",9'
    ',1,""],"5":["tolerationSeconds",3,1,""]}},"k8s.io.api.core.v1.TopologySelectorLabelRequire'
    'ment":{"f":{"1":["key",9,1,""],"2":["values",9,3,""]}},"k8s.io.api.core.v1.TopologySelecto'
    'rTerm":{"f":{"1":["matchLabelExpressions",11,3,"k8s.io.api.core.v1.TopologySelectorLabelRe'
    'quirement"]}},"k8s.io.api.core.v1.TypedLocalObjectReference":{"f":{"1":["apiGroup",9,1,""]'
    ',"2":["kind",9,1,""],"3":["name",9,1,""]}},"k8s.io.api.core.v1.Volume":{"f":{"1":["name",9'
    ',1,""],"2":["volumeSource",11,1,"k8s.io.api.core.v1.VolumeSource"]}},"k8s.io.api.core.v1.V'
    'olumeDevice":{"f":{"1":["name",9,1,""],"2":["devicePath",9,1,""]}},"k8s.io.api.core.v1.Vol'
    'umeMount":{"f":{"1":["name",9,1,""],"2":["readOnly",8,1,""],"3":["mountPath",9,1,""],"4":['
    '"subPath",9,1,""],"5":["mountPropagation",9,1,""],"6":["subPathExpr",9,1,""]}},"k8s.io.api'
    '.core.v1.VolumeNodeAffinity":{"f":{"1":["required",11,1,"k8s.io.api.core.v1.NodeSelector"]'
    '}},"k8s.io.api.core.v1.VolumeProjection":{"f":{"1":["secret",11,1,"k8s.io.api.core.v1.Secr'
    'etProjection"],"2":["downwardAPI",11,1,"k8s.io.api.core.v1.DownwardAPIProjection"],"3":["c'
    'onfigMap",11,1,"k8s.io.api.core.v1.ConfigMapProjection"],"4":["serviceAccountToken",11,1,"'
    'k8s.io.api.core.v1.ServiceAccountTokenProjection"]}},"k8s.io.api.core.v1.VolumeSource":{"f'
    '":{"1":["hostPath",11,1,"k8s.io.api.core.v1.HostPathVolumeSource"],"10":["persistentVolume'
    'Claim",11,1,"k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource"],"11":["rbd",11,1,"k8s.'
    'io.api.core.v1.RBDVolumeSource"],"12":["flexVolume",11,1,"k8s.io.api.core.v1.FlexVolumeSou'
    'rce"],"13":["cinder",11,1,"k8s.io.api.core.v1.CinderVolumeSource"],"14":["cephfs",11,1,"k8'
    's.io.api.core.v1.CephFSVolumeSource"],"15":["flocker",11,1,"k8s.io.api.core.v1.FlockerVolu'
    'meSource"],"16":["downwardAPI",11,1,"k8s.io.api.core.v1.DownwardAPIVolumeSource"],"17":["f'
    'c",11,1,"k8s.io.api.core.v1.FCVolumeSource"],"18":["azureFile",11,1,"k8s.io.api.core.v1.Az'
    'ureFileVolumeSource"],"19":["configMap",11,1,"k8s.io.api.core.v1.ConfigMapVolumeSource"],"'
    '2":["emptyDir",11,1,"k8s.io.api.core.v1.EmptyDirVolumeSource"],"20":["vsphereVolume",11,1,'
    '"k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource"],"21":["quobyte",11,1,"k8s.io.api.core'
    '.v1.QuobyteVolumeSource"],"22":["azureDisk",11,1,"k8s.io.api.core.v1.AzureDiskVolumeSource'
    '"],"23":["photonPersistentDisk",11,1,"k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource"'
    '],"24":["portworxVolume",11,1,"k8s.io.api.core.v1.PortworxVolumeSource"],"25":["scaleIO",1'
    '1,1,"k8s.io.api.core.v1.ScaleIOVolumeSource"],"26":["projected",11,1,"k8s.io.api.core.v1.P'
    'rojectedVolumeSource"],"27":["storageos",11,1,"k8s.io.api.core.v1.StorageOSVolumeSource"],'
    '"28":["csi",11,1,"k8s.io.api.core.v1.CSIVolumeSource"],"3":["gcePersistentDisk",11,1,"k8s.'
    'io.api.core.v1.GCEPersistentDiskVolumeSource"],"4":["awsElasticBlockStore",11,1,"k8s.io.ap'
    'i.core.v1.AWSElasticBlockStoreVolumeSource"],"5":["gitRepo",11,1,"k8s.io.api.core.v1.GitRe'
    'poVolumeSource"],"6":["secret",11,1,"k8s.io.api.core.v1.SecretVolumeSource"],"7":["nfs",11'
    ',1,"k8s.io.api.core.v1.NFSVolumeSource"],"8":["iscsi",11,1,"k8s.io.api.core.v1.ISCSIVolume'
    'Source"],"9":["glusterfs",11,1,"k8s.io.api.core.v1.GlusterfsVolumeSource"]}},"k8s.io.api.c'
    'ore.v1.VsphereVirtualDiskVolumeSource":{"f":{"1":["volumePath",9,1,""],"2":["fsType",9,1,"'
    '"],"3":["storagePolicyName",9,1,""],"4":["storagePolicyID",9,1,""]}},"k8s.io.api.core.v1.W'
    'eightedPodAffinityTerm":{"f":{"1":["weight",5,1,""],"2":["podAffinityTerm",11,1,"k8s.io.ap'
    'i.core.v1.PodAffinityTerm"]}},"k8s.io.apimachinery.pkg.api.resource.Quantity":{"f":{"1":["'
    'string",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.APIGroup":{"f":{"1":["name",9,1,""'
    '],"2":["versions",11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery"],"3'
    '":["preferredVersion",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery"'
    '],"4":["serverAddressByClientCIDRs",11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.ServerAddre'
    'ssByClientCIDR"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.APIGroupList":{"f":{"1":["groups"'
    ',11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.APIGroup"]}},"k8s.io.apimachinery.pkg.apis.met'
    'a.v1.APIResource":{"f":{"1":["name",9,1,""],"10":["storageVersionHash",9,1,""],"2":["names'
    'paced",8,1,""],"3":["kind",9,1,""],"4":["verbs",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1'
    '.Verbs"],"5":["shortNames",9,3,""],"6":["singularName",9,1,""],"7":["categories",9,3,""],"'
    '8":["group",9,1,""],"9":["version",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.APIReso'
    'urceList":{"f":{"1":["groupVersion",9,1,""],"2":["resources",11,3,"k8s.io.apimachinery.pkg'
    '.apis.meta.v1.APIResource"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.APIVersions":{"f":{"1"'
    ':["versions",9,3,""],"2":["serverAddressByClientCIDRs",11,3,"k8s.io.apimachinery.pkg.apis.'
    'meta.v1.ServerAddressByClientCIDR"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.CreateOptions"'
    ':{"f":{"1":["dryRun",9,3,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions":{"f":{'
    '"1":["gracePeriodSeconds",3,1,""],"2":["preconditions",11,1,"k8s.io.apimachinery.pkg.apis.'
    'meta.v1.Preconditions"],"3":["orphanDependents",8,1,""],"4":["propagationPolicy",9,1,""],"'
    '5":["dryRun",9,3,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Duration":{"f":{"1":["duratio'
    'n",3,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.ExportOptions":{"f":{"1":["export",8,1,'
    '""],"2":["exact",8,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Fields":{"f":{"1":["map",'
    '11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.Fields.MapEntry"]}},"k8s.io.apimachinery.pkg.ap'
    'is.meta.v1.Fields.MapEntry":{"f":{"1":["key",9,1,""],"2":["value",11,1,"k8s.io.apimachiner'
    'y.pkg.apis.meta.v1.Fields"]},"map":true},"k8s.io.apimachinery.pkg.apis.meta.v1.GetOptions"'
    ':{"f":{"1":["resourceVersion",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.GroupKind":{'
    '"f":{"1":["group",9,1,""],"2":["kind",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Grou'
    'pResource":{"f":{"1":["group",9,1,""],"2":["resource",9,1,""]}},"k8s.io.apimachinery.pkg.a'
    'pis.meta.v1.GroupVersion":{"f":{"1":["group",9,1,""],"2":["version",9,1,""]}},"k8s.io.apim'
    'achinery.pkg.apis.meta.v1.GroupVersionForDiscovery":{"f":{"1":["groupVersion",9,1,""],"2":'
    '["version",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersionKind":{"f":{"1":["g'
    'roup",9,1,""],"2":["version",9,1,""],"3":["kind",9,1,""]}},"k8s.io.apimachinery.pkg.apis.m'
    'eta.v1.GroupVersionResource":{"f":{"1":["group",9,1,""],"2":["version",9,1,""],"3":["resou'
    'rce",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Initializer":{"f":{"1":["name",9,1,""'
    ']}},"k8s.io.apimachinery.pkg.apis.meta.v1.Initializers":{"f":{"1":["pending",11,3,"k8s.io.'
    'apimachinery.pkg.apis.meta.v1.Initializer"],"2":["result",11,1,"k8s.io.apimachinery.pkg.ap'
    'is.meta.v1.Status"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector":{"f":{"1":["mat'
    'chLabels",11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector.MatchLabelsEntry"],"2":'
    '["matchExpressions",11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement"]}'
    '},"k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector.MatchLabelsEntry":{"f":{"1":["key",9'
    ',1,""],"2":["value",9,1,""]},"map":true},"k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelect'
    'orRequirement":{"f":{"1":["key",9,1,""],"2":["operator",9,1,""],"3":["values",9,3,""]}},"k'
    '8s.io.apimachinery.pkg.apis.meta.v1.List":{"f":{"1":["metadata",11,1,"k8s.io.apimachinery.'
    'pkg.apis.meta.v1.ListMeta"],"2":["items",11,3,"k8s.io.apimachinery.pkg.runtime.RawExtensio'
    'n"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta":{"f":{"1":["selfLink",9,1,""],"2":["'
    'resourceVersion",9,1,""],"3":["continue",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.L'
    'istOptions":{"f":{"1":["labelSelector",9,1,""],"2":["fieldSelector",9,1,""],"3":["watch",8'
    ',1,""],"4":["resourceVersion",9,1,""],"5":["timeoutSeconds",3,1,""],"7":["limit",3,1,""],"'
    '8":["continue",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry":{"f":{"'
    '1":["manager",9,1,""],"2":["operation",9,1,""],"3":["apiVersion",9,1,""],"4":["time",11,1,'
    '"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"5":["fields",11,1,"k8s.io.apimachinery.pkg.a'
    'pis.meta.v1.Fields"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime":{"f":{"1":["second'
    's",3,1,""],"2":["nanos",5,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta":{"f":{'
    '"1":["name",9,1,""],"10":["deletionGracePeriodSeconds",3,1,""],"11":["labels",11,3,"k8s.io'
    '.apimachinery.pkg.apis.meta.v1.ObjectMeta.LabelsEntry"],"12":["annotations",11,3,"k8s.io.a'
    'pimachinery.pkg.apis.meta.v1.ObjectMeta.AnnotationsEntry"],"13":["ownerReferences",11,3,"k'
    '8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference"],"14":["finalizers",9,3,""],"15":["clu'
    'sterName",9,1,""],"16":["initializers",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Initiali'
    'zers"],"17":["managedFields",11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry'
    '"],"2":["generateName",9,1,""],"3":["namespace",9,1,""],"4":["selfLink",9,1,""],"5":["uid"'
    ',9,1,""],"6":["resourceVersion",9,1,""],"7":["generation",3,1,""],"8":["creationTimestamp"'
    ',11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.Time"],"9":["deletionTimestamp",11,1,"k8s.io.a'
    'pimachinery.pkg.apis.meta.v1.Time"]}},"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta.Ann'
    'otationsEntry":{"f":{"1":["key",9,1,""],"2":["value",9,1,""]},"map":true},"k8s.io.apimachi'
    'nery.pkg.apis.meta.v1.ObjectMeta.LabelsEntry":{"f":{"1":["key",9,1,""],"2":["value",9,1,""'
    ']},"map":true},"k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference":{"f":{"1":["kind",9,1'
    ',""],"3":["name",9,1,""],"4":["uid",9,1,""],"5":["apiVersion",9,1,""],"6":["controller",8,'
    '1,""],"7":["blockOwnerDeletion",8,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Patch":{"f'
    '":{}},"k8s.io.apimachinery.pkg.apis.meta.v1.PatchOptions":{"f":{"1":["dryRun",9,3,""],"2":'
    '["force",8,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions":{"f":{"1":["uid",9'
    ',1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.RootPaths":{"f":{"1":["paths",9,3,""]}},"k8'
    's.io.apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR":{"f":{"1":["clientCIDR",9,1,'
    '""],"2":["serverAddress",9,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.Status":{"f":{"1"'
    ':["metadata",11,1,"k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"],"2":["status",9,1,""],"'
    '3":["message",9,1,""],"4":["reason",9,1,""],"5":["details",11,1,"k8s.io.apimachinery.pkg.a'
    'pis.meta.v1.StatusDetails"],"6":["code",5,1,""]}},"k8s.io.apimachinery.pkg.apis.meta.v1.St'
    'atusCause":{"f":{"1":["reason",9,1,""],"2":["message",9,1,""],"3":["field",9,1,""]}},"k8s.'
    'io.apimachinery.pkg.apis.meta.v1.StatusDetails":{"f":{"1":["name",9,1,""],"2":["group",9,1'
    ',""],"3":["kind",9,1,""],"4":["causes",11,3,"k8s.io.apimachinery.pkg.apis.meta.v1.StatusCa'
    'use"],"5":["retryAfterSeconds",5,1,""],"6":["uid",9,1,""]}},"k8s.io.apimachinery.pkg.apis.'
    'meta.v1.Time":{"f":{"1":["seconds",3,1,""],"2":["nanos",5,1,""]}},"k8s.io.apimachinery.pkg'
    '.apis.meta.v1.Timestamp":{"f":{"1":["seconds",3,1,""],"2":["nanos",5,1,""]}},"k8s.io.apima'
    'chinery.pkg.apis.meta.v1.TypeMeta":{"f":{"1":["kind",9,1,""],"2":["apiVersion",9,1,""]}},"'
    'k8s.io.apimachinery.pkg.apis.meta.v1.UpdateOptions":{"f":{"1":["dryRun",9,3,""]}},"k8s.io.'
    'apimachinery.pkg.apis.meta.v1.Verbs":{"f":{"1":["items",9,3,""]}},"k8s.io.apimachinery.pkg'
    '.apis.meta.v1.WatchEvent":{"f":{"1":["type",9,1,""],"2":["object",11,1,"k8s.io.apimachiner'
    'y.pkg.runtime.RawExtension"]}},"k8s.io.apimachinery.pkg.runtime.RawExtension":{"f":{"1":["'
    'raw",12,1,""]}},"k8s.io.apimachinery.pkg.runtime.TypeMeta":{"f":{"1":["apiVersion",9,1,""]'
    ',"2":["kind",9,1,""]}},"k8s.io.apimachinery.pkg.runtime.Unknown":{"f":{"1":["typeMeta",11,'
    '1,"k8s.io.apimachinery.pkg.runtime.TypeMeta"],"2":["raw",12,1,""],"3":["contentEncoding",9'
    ',1,""],"4":["contentType",9,1,""]}},"k8s.io.apimachinery.pkg.util.intstr.IntOrString":{"f"'
    ':{"1":["type",3,1,""],"2":["intVal",5,1,""],"3":["strVal",9,1,""]}}}'
)

# batch/v1, rbac.authorization.k8s.io/v1, policy/v1 and meta/v1 Condition: written by hand,
# one message a line, field numbers taken from the `protobuf:"...,N,..."` struct tags in
# the kubectl 1.37 binary (the k8s-proto package has no descriptors for these groups).
_BATCH_RBAC_POLICY = json.loads(
    """{
"k8s.io.api.batch.v1.Job": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["spec", 11, 1, "k8s.io.api.batch.v1.JobSpec"], "3": ["status", 11, 1, "k8s.io.api.batch.v1.JobStatus"]}},
"k8s.io.api.batch.v1.JobSpec": {"f": {"1": ["parallelism", 5, 1, ""], "2": ["completions", 5, 1, ""], "3": ["activeDeadlineSeconds", 3, 1, ""], "4": ["selector", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"], "5": ["manualSelector", 8, 1, ""], "6": ["template", 11, 1, "k8s.io.api.core.v1.PodTemplateSpec"], "7": ["backoffLimit", 5, 1, ""], "8": ["ttlSecondsAfterFinished", 5, 1, ""], "9": ["completionMode", 9, 1, ""], "10": ["suspend", 8, 1, ""], "11": ["podFailurePolicy", 11, 1, "k8s.io.api.batch.v1.PodFailurePolicy"], "12": ["backoffLimitPerIndex", 5, 1, ""], "13": ["maxFailedIndexes", 5, 1, ""], "14": ["podReplacementPolicy", 9, 1, ""], "15": ["managedBy", 9, 1, ""], "16": ["successPolicy", 11, 1, "k8s.io.api.batch.v1.SuccessPolicy"]}},
"k8s.io.api.batch.v1.JobStatus": {"f": {"1": ["conditions", 11, 3, "k8s.io.api.batch.v1.JobCondition"], "2": ["startTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"], "3": ["completionTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"], "4": ["active", 5, 1, ""], "5": ["succeeded", 5, 1, ""], "6": ["failed", 5, 1, ""], "7": ["completedIndexes", 9, 1, ""], "8": ["uncountedTerminatedPods", 11, 1, "k8s.io.api.batch.v1.UncountedTerminatedPods"], "9": ["ready", 5, 1, ""], "10": ["failedIndexes", 9, 1, ""], "11": ["terminating", 5, 1, ""]}},
"k8s.io.api.batch.v1.JobCondition": {"f": {"1": ["type", 9, 1, ""], "2": ["status", 9, 1, ""], "3": ["lastProbeTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"], "4": ["lastTransitionTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"], "5": ["reason", 9, 1, ""], "6": ["message", 9, 1, ""]}},
"k8s.io.api.batch.v1.UncountedTerminatedPods": {"f": {"1": ["succeeded", 9, 3, ""], "2": ["failed", 9, 3, ""]}},
"k8s.io.api.batch.v1.JobTemplateSpec": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["spec", 11, 1, "k8s.io.api.batch.v1.JobSpec"]}},
"k8s.io.api.batch.v1.PodFailurePolicy": {"f": {"1": ["rules", 11, 3, "k8s.io.api.batch.v1.PodFailurePolicyRule"]}},
"k8s.io.api.batch.v1.PodFailurePolicyRule": {"f": {"1": ["action", 9, 1, ""], "2": ["onExitCodes", 11, 1, "k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement"], "3": ["onPodConditions", 11, 3, "k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern"]}},
"k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement": {"f": {"1": ["containerName", 9, 1, ""], "2": ["operator", 9, 1, ""], "3": ["values", 5, 3, ""]}},
"k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern": {"f": {"1": ["type", 9, 1, ""], "2": ["status", 9, 1, ""]}},
"k8s.io.api.batch.v1.SuccessPolicy": {"f": {"1": ["rules", 11, 3, "k8s.io.api.batch.v1.SuccessPolicyRule"]}},
"k8s.io.api.batch.v1.SuccessPolicyRule": {"f": {"1": ["succeededIndexes", 9, 1, ""], "2": ["succeededCount", 5, 1, ""]}},
"k8s.io.api.batch.v1.CronJob": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["spec", 11, 1, "k8s.io.api.batch.v1.CronJobSpec"], "3": ["status", 11, 1, "k8s.io.api.batch.v1.CronJobStatus"]}},
"k8s.io.api.batch.v1.CronJobSpec": {"f": {"1": ["schedule", 9, 1, ""], "2": ["startingDeadlineSeconds", 3, 1, ""], "3": ["concurrencyPolicy", 9, 1, ""], "4": ["suspend", 8, 1, ""], "5": ["jobTemplate", 11, 1, "k8s.io.api.batch.v1.JobTemplateSpec"], "6": ["successfulJobsHistoryLimit", 5, 1, ""], "7": ["failedJobsHistoryLimit", 5, 1, ""], "8": ["timeZone", 9, 1, ""]}},
"k8s.io.api.batch.v1.CronJobStatus": {"f": {"1": ["active", 11, 3, "k8s.io.api.core.v1.ObjectReference"], "4": ["lastScheduleTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"], "5": ["lastSuccessfulTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"]}},
"k8s.io.api.rbac.v1.PolicyRule": {"f": {"1": ["verbs", 9, 3, ""], "2": ["apiGroups", 9, 3, ""], "3": ["resources", 9, 3, ""], "4": ["resourceNames", 9, 3, ""], "5": ["nonResourceURLs", 9, 3, ""]}},
"k8s.io.api.rbac.v1.Subject": {"f": {"1": ["kind", 9, 1, ""], "2": ["apiGroup", 9, 1, ""], "3": ["name", 9, 1, ""], "4": ["namespace", 9, 1, ""]}},
"k8s.io.api.rbac.v1.RoleRef": {"f": {"1": ["apiGroup", 9, 1, ""], "2": ["kind", 9, 1, ""], "3": ["name", 9, 1, ""]}},
"k8s.io.api.rbac.v1.AggregationRule": {"f": {"1": ["clusterRoleSelectors", 11, 3, "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"]}},
"k8s.io.api.rbac.v1.Role": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["rules", 11, 3, "k8s.io.api.rbac.v1.PolicyRule"]}},
"k8s.io.api.rbac.v1.ClusterRole": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["rules", 11, 3, "k8s.io.api.rbac.v1.PolicyRule"], "3": ["aggregationRule", 11, 1, "k8s.io.api.rbac.v1.AggregationRule"]}},
"k8s.io.api.rbac.v1.RoleBinding": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["subjects", 11, 3, "k8s.io.api.rbac.v1.Subject"], "3": ["roleRef", 11, 1, "k8s.io.api.rbac.v1.RoleRef"]}},
"k8s.io.api.rbac.v1.ClusterRoleBinding": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["subjects", 11, 3, "k8s.io.api.rbac.v1.Subject"], "3": ["roleRef", 11, 1, "k8s.io.api.rbac.v1.RoleRef"]}},
"k8s.io.api.policy.v1.PodDisruptionBudget": {"f": {"1": ["metadata", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "2": ["spec", 11, 1, "k8s.io.api.policy.v1.PodDisruptionBudgetSpec"], "3": ["status", 11, 1, "k8s.io.api.policy.v1.PodDisruptionBudgetStatus"]}},
"k8s.io.api.policy.v1.PodDisruptionBudgetSpec": {"f": {"1": ["minAvailable", 11, 1, "k8s.io.apimachinery.pkg.util.intstr.IntOrString"], "2": ["selector", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"], "3": ["maxUnavailable", 11, 1, "k8s.io.apimachinery.pkg.util.intstr.IntOrString"], "4": ["unhealthyPodEvictionPolicy", 9, 1, ""]}},
"k8s.io.api.policy.v1.PodDisruptionBudgetStatus": {"f": {"1": ["observedGeneration", 3, 1, ""], "2": ["disruptedPods", 11, 3, "k8s.io.api.policy.v1.PodDisruptionBudgetStatus.DisruptedPodsEntry"], "3": ["disruptionsAllowed", 5, 1, ""], "4": ["currentHealthy", 5, 1, ""], "5": ["desiredHealthy", 5, 1, ""], "6": ["expectedPods", 5, 1, ""], "7": ["conditions", 11, 3, "k8s.io.apimachinery.pkg.apis.meta.v1.Condition"]}},
"k8s.io.api.policy.v1.PodDisruptionBudgetStatus.DisruptedPodsEntry": {"f": {"1": ["key", 9, 1, ""], "2": ["value", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"]}, "map": true},
"k8s.io.apimachinery.pkg.apis.meta.v1.Condition": {"f": {"1": ["type", 9, 1, ""], "2": ["status", 9, 1, ""], "3": ["observedGeneration", 3, 1, ""], "4": ["lastTransitionTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"], "5": ["reason", 9, 1, ""], "6": ["message", 9, 1, ""]}}
}"""
)
TABLES.update(_BATCH_RBAC_POLICY)

# authentication.k8s.io/v1 TokenRequest (`kubectl create token`) and authorization.k8s.io/v1
# SelfSubjectAccessReview / SelfSubjectRulesReview (`kubectl auth can-i`): written by hand
# from staging/src/k8s.io/api/authentication/v1 and authorization/v1 generated.proto.
_META_OBJECT = "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_AUTHN = "k8s.io.api.authentication.v1."
_AUTHZ = "k8s.io.api.authorization.v1."
TABLES.update(
    {
        _AUTHN + "TokenRequest": {
            "f": {
                "1": ["metadata", 11, 1, _META_OBJECT],
                "2": ["spec", 11, 1, _AUTHN + "TokenRequestSpec"],
            }
        },
        _AUTHN + "TokenRequestSpec": {
            "f": {
                "1": ["audiences", 9, 3, ""],
                "3": ["boundObjectRef", 11, 1, _AUTHN + "BoundObjectReference"],
                "4": ["expirationSeconds", 3, 1, ""],
            }
        },
        _AUTHN + "BoundObjectReference": {
            "f": {
                "1": ["kind", 9, 1, ""],
                "2": ["apiVersion", 9, 1, ""],
                "3": ["name", 9, 1, ""],
                "4": ["uid", 9, 1, ""],
            }
        },
        _AUTHN + "SelfSubjectReview": {"f": {"1": ["metadata", 11, 1, _META_OBJECT]}},
        _AUTHZ + "SelfSubjectAccessReview": {
            "f": {
                "1": ["metadata", 11, 1, _META_OBJECT],
                "2": ["spec", 11, 1, _AUTHZ + "SelfSubjectAccessReviewSpec"],
            }
        },
        _AUTHZ + "SelfSubjectAccessReviewSpec": {
            "f": {
                "1": ["resourceAttributes", 11, 1, _AUTHZ + "ResourceAttributes"],
                "2": ["nonResourceAttributes", 11, 1, _AUTHZ + "NonResourceAttributes"],
            }
        },
        _AUTHZ + "ResourceAttributes": {
            "f": {
                "1": ["namespace", 9, 1, ""],
                "2": ["verb", 9, 1, ""],
                "3": ["group", 9, 1, ""],
                "4": ["version", 9, 1, ""],
                "5": ["resource", 9, 1, ""],
                "6": ["subresource", 9, 1, ""],
                "7": ["name", 9, 1, ""],
            }
        },
        _AUTHZ + "NonResourceAttributes": {"f": {"1": ["path", 9, 1, ""], "2": ["verb", 9, 1, ""]}},
        _AUTHZ + "SelfSubjectRulesReview": {
            "f": {
                "1": ["metadata", 11, 1, _META_OBJECT],
                "2": ["spec", 11, 1, _AUTHZ + "SelfSubjectRulesReviewSpec"],
            }
        },
        _AUTHZ + "SelfSubjectRulesReviewSpec": {"f": {"1": ["namespace", 9, 1, ""]}},
    }
)

# scheduling.k8s.io/v1 PriorityClass (`kubectl create priorityclass`): from the struct tags
# of staging/src/k8s.io/api/scheduling/v1/types.go.
TABLES["k8s.io.api.scheduling.v1.PriorityClass"] = {
    "f": {
        "1": ["metadata", 11, 1, _META_OBJECT],
        "2": ["value", 5, 1, ""],
        "3": ["globalDefault", 8, 1, ""],
        "4": ["description", 9, 1, ""],
        "5": ["preemptionPolicy", 9, 1, ""],
    }
}

# certificates.k8s.io/v1 CertificateSigningRequest (`kubectl certificate approve` PUTs the
# approval subresource as protobuf): field numbers from the struct tags in the kubectl 1.37
# binary (staging/src/k8s.io/api/certificates/v1/types.go).
_CERTS = "k8s.io.api.certificates.v1."
TABLES.update(
    {
        _CERTS + "CertificateSigningRequest": {
            "f": {
                "1": ["metadata", 11, 1, _META_OBJECT],
                "2": ["spec", 11, 1, _CERTS + "CertificateSigningRequestSpec"],
                "3": ["status", 11, 1, _CERTS + "CertificateSigningRequestStatus"],
            }
        },
        _CERTS + "CertificateSigningRequestSpec": {
            "f": {
                "1": ["request", 12, 1, ""],
                "2": ["username", 9, 1, ""],
                "3": ["uid", 9, 1, ""],
                "4": ["groups", 9, 3, ""],
                "5": ["usages", 9, 3, ""],
                "6": ["extra", 11, 3, _CERTS + "CertificateSigningRequestSpec.ExtraEntry"],
                "7": ["signerName", 9, 1, ""],
                "8": ["expirationSeconds", 5, 1, ""],
            }
        },
        _CERTS + "CertificateSigningRequestSpec.ExtraEntry": {
            "f": {"1": ["key", 9, 1, ""], "2": ["value", 11, 1, _CERTS + "ExtraValue"]},
            "map": True,
        },
        _CERTS + "ExtraValue": {"f": {"1": ["items", 9, 3, ""]}},
        _CERTS + "CertificateSigningRequestStatus": {
            "f": {
                "1": ["conditions", 11, 3, _CERTS + "CertificateSigningRequestCondition"],
                "2": ["certificate", 12, 1, ""],
            }
        },
        _CERTS + "CertificateSigningRequestCondition": {
            "f": {
                "1": ["type", 9, 1, ""],
                "2": ["reason", 9, 1, ""],
                "3": ["message", 9, 1, ""],
                "4": ["lastUpdateTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"],
                "5": ["lastTransitionTime", 11, 1, "k8s.io.apimachinery.pkg.apis.meta.v1.Time"],
                "6": ["status", 9, 1, ""],
            }
        },
    }
)
