# Read by JupyterLab when this folder is on $JUPYTER_CONFIG_PATH (graders start, the class hub): lab services seen
# through jupyter-server-proxy (graders/services/proxy.py): no doubled prefix on /proxy/PORT/, and a named route with
# a Launcher tile for each service a lab tells the learner to open (graders/services/routes.py).
from graders.services.proxy import undouble_location
from graders.services.routes import servers

c = get_config()  # noqa: F821
c.ServerProxy.non_service_rewrite_response = [undouble_location]
c.ServerProxy.servers.update(servers())

# Kernels talk to JupyterLab over Unix sockets in a private folder, not TCP ports that any user of the machine can
# reach and that another program can take before the kernel binds them (graders/services/kernelsockets.py).
c.AsyncMappingKernelManager.kernel_manager_class = "graders.services.kernelsockets.PrivateSocketKernelManager"
