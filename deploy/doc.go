// Package deploy holds what runs pushbench on a cluster: a container build
// file and Kubernetes manifests (servers as a StatefulSet behind a headless
// Service, load-generator workers as an Indexed Job, the coordinator as a
// Job). Its test decodes every manifest strictly into the Kubernetes API
// types and checks that they agree with each other and with pushbench's
// own command line.
package deploy
