"""Instructor grading at class scale: parallel, sandboxed, tamper-proof autograding built from nbgrader's pieces.

``graders grade <assignment>`` (``app.py``) runs a few worker processes (``pool.py``, ``worker.py``); each grades one
submission at a time with nbgrader's ``Autograde`` converter extended by our preprocessors
(``preprocessors/``: ``RestoreCells``, ``SandboxedExecute``, ``SealVerdicts``), every kernel inside a sandbox
(``sandbox.py``, ``launch.py``, ``kernelboot.py``), every check's verdict computed by the grader
(``verdicts.py``, ``evidence.py``), each submission's outcome kept in a record (``records.py``) for the class report.
See README.md in this folder.
"""
