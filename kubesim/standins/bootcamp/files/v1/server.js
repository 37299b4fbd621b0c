// The Learn Kubernetes Basics app, as kubesim runs it.
//
// The image's CMD is `node server.js`. kubesim's stand-in for this image is the Python
// program kubesim/standins/bootcamp, which behaves as this file does:
//
//   - it listens on port 8080;
//   - every request, whatever its method or path, is answered 200 with
//     "Hello Kubernetes bootcamp! | Running on: <the pod's hostname> | v=1";
//   - on start it logs "Kubernetes Bootcamp App Started At: <time> | Running On:  <hostname>",
//     and for each request the running total, the uptime in seconds and the time.

const http = require('http');

const hostname = process.env.HOSTNAME;
let served = 0;
let startedAt;

const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.writeHead(200);
  res.end(`Hello Kubernetes bootcamp! | Running on: ${hostname} | v=1\n`);
  served += 1;
  const uptime = (Date.now() - startedAt.getTime()) / 1000;
  console.log('Running On:', hostname, '| Total Requests:', served,
              '| App Uptime:', uptime, 'seconds', '| Log Time:', new Date());
});

server.listen(8080, () => {
  startedAt = new Date();
  console.log('Kubernetes Bootcamp App Started At:', startedAt, '| Running On: ', hostname, '\n');
});
